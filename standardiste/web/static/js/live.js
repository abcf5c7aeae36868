// The live feed: one websocket to /api/v1/live. The server sends a "snapshot", then "changes"
// batches; this keeps the same state the server has (state[entity][key], as in Redis) and
// calls onUpdate after each message. It starts again from a fresh snapshot whenever the
// server asks ("resync_required", close code 4000) or the connection drops: a batch missed
// while disconnected can never be replayed, so only a snapshot is safe.
//
// With ``queues`` (a queue's page), each connection subscribes to those queues as soon as it
// opens. The server first sends the connection's default, wider snapshot, then the one of the
// subscription: messages are applied from the subscribed snapshot on (one whose figures are
// all of the subscribed queues; a user who sees no other queue gets the same view anyway).

const CLOSE_RESYNC = 4000;
const CLOSE_SESSION_ENDED = 4001;
// The entity names come from the server's snapshot (acd/entities.py is their one definition).

export class LiveFeed {
  constructor({ onUpdate, onStatus, onSessionEnded, onError, queues = null, path = "/api/v1/live" }) {
    this.onUpdate = onUpdate;
    this.onStatus = onStatus;
    this.onSessionEnded = onSessionEnded;
    this.onError = onError;
    this.queues = queues;
    this.accepting = false; // this connection's messages are of the view asked for
    this.url = new URL(path, location.href);
    this.url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    this.state = {};
    this.figures = {};
    this.users = {};
    this.updatedAt = {}; // queue -> server time its figures last changed (SV-6 "last update")
    this.offset = 0; // server clock minus ours, so durations match the server's
    this.synced = false;
    this.retry = 0;
    this.ws = null;
    this.timer = null;
  }

  /** Server time now, in epoch seconds. */
  now() {
    return Date.now() / 1000 + this.offset;
  }

  start() {
    this.connect();
    // A laptop waking up may hold a dead socket for a while: check again when the tab shows.
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && this.ws?.readyState !== WebSocket.OPEN) this.reconnectNow();
    });
  }

  connect() {
    clearTimeout(this.timer);
    this.onStatus(this.synced ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.accepting = this.queues === null;
    ws.addEventListener("open", () => {
      if (this.queues !== null) ws.send(JSON.stringify({ type: "subscribe", queues: this.queues }));
    });
    ws.addEventListener("message", (event) => this.receive(event.data));
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return; // replaced on purpose
      this.synced = this.synced && event.code !== CLOSE_SESSION_ENDED;
      if (event.code === CLOSE_SESSION_ENDED) {
        this.onStatus("ended");
        this.onSessionEnded?.();
        return;
      }
      this.scheduleReconnect(event.code === CLOSE_RESYNC);
    });
  }

  scheduleReconnect(immediately) {
    this.onStatus("reconnecting");
    // Exponential backoff with full jitter, so a restarted server is not hit by every
    // dashboard at the same instant.
    const ceiling = immediately ? 100 : Math.min(10000, 500 * 2 ** this.retry);
    this.retry = Math.min(this.retry + 1, 6);
    this.timer = setTimeout(() => this.connect(), Math.random() * ceiling);
  }

  reconnectNow() {
    const old = this.ws;
    this.ws = null;
    old?.close();
    this.connect();
  }

  receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message.server_time === "number") {
      this.offset = message.server_time - Date.now() / 1000;
    }
    switch (message.type) {
      case "snapshot":
        if (!this.accepting && !this.isSubscribed(message)) return; // the wider one first
        this.accepting = true;
        this.applySnapshot(message);
        break;
      case "changes":
        if (!this.accepting) return; // of the wider view: the subscribed snapshot replaces it
        this.applyChanges(message);
        break;
      case "resync_required":
        this.reconnectNow();
        return;
      case "error":
        // It answers a refused subscribe (the queue is no longer the user's to see): say so.
        this.onError?.(message.error ?? {});
        return;
      default:
        return;
    }
    this.onUpdate(this);
  }

  isSubscribed(message) {
    const wanted = new Set(this.queues);
    return Object.keys(message.figures ?? {}).every((queue) => wanted.has(queue));
  }

  applySnapshot(message) {
    this.state = Object.fromEntries(
      Object.entries(message.state ?? {}).map(([entity, rows]) => [entity, { ...rows }]),
    );
    this.figures = { ...(message.figures ?? {}) };
    this.users = { ...(message.users ?? {}) };
    for (const queue of Object.keys(this.figures)) this.updatedAt[queue] = message.server_time;
    this.synced = true;
    this.retry = 0;
    this.onStatus("live");
  }

  applyChanges(message) {
    for (const [entity, key, value] of message.changes ?? []) {
      const table = (this.state[entity] ??= {});
      if (value === null) delete table[key];
      else table[key] = value;
    }
    for (const [queue, figures] of Object.entries(message.figures ?? {})) {
      this.figures[queue] = figures;
      this.updatedAt[queue] = message.server_time;
    }
    Object.assign(this.users, message.users ?? {});
  }
}
