// Queue cards: a title and a list of named facts, created once and then updated in place.

import { h, setText } from "./dom.js";

/**
 * A card with one <dt>/<dd> per field; card.values[name] is the <dd> to update. With
 * ``href``, its title is a link there and a click anywhere on the card follows it (the link
 * is what the keyboard and screen readers use).
 */
export function makeCard(title, fields, i18n, href = null) {
  const list = h("dl", { class: "facts" });
  const values = {};
  for (const name of fields) {
    values[name] = h("dd", { "data-field": name }, "–");
    list.append(h("div", {}, h("dt", {}, i18n.t(`figure.${name}`)), values[name]));
  }
  const link = href ? h("a", { href }, title) : null;
  const heading = h("h3", {}, link ?? title);
  const card = h("li", { class: href ? "card link" : "card" }, heading, list);
  if (link) {
    card.addEventListener("click", (event) => {
      // Not when text is being selected, nor a click on the link itself (it navigates).
      if (event.target.closest("a") || String(window.getSelection())) return;
      link.click();
    });
  }
  card.values = values;
  return card;
}

export function setValues(card, values) {
  for (const [name, value] of Object.entries(values)) {
    if (card.values[name]) setFigure(card.values[name], value);
  }
}

/** A formatted value, or {text, status}: the status (ok, near, below) also colours it. */
export function setFigure(element, value) {
  if (value && typeof value === "object") {
    setText(element, value.text);
    if (value.status) element.dataset.sl = value.status;
    else delete element.dataset.sl;
  } else {
    setText(element, value);
  }
}

/**
 * Today's service level against the queue's target, in words as well as colour:
 * "83 % · target 80 % · on target". Computed by the server (acd/metrics.py).
 */
export function serviceLevel(figures, i18n) {
  const level = figures?.metrics?.service_level;
  const sl = figures?.sl;
  if (level === null || level === undefined || !sl) return { text: "–", status: "" };
  return {
    text: i18n.t("figure.sl_value", {
      level: i18n.percent(level),
      target: i18n.percent(sl.target),
      status: i18n.t(`figure.sl_status.${sl.status}`),
    }),
    status: sl.status,
  };
}

/** The live parts of a queue's figures, formatted (longest wait ticks from waiting_since). */
export function queueValues(figures, now, i18n) {
  if (!figures) return {};
  return {
    waiting: i18n.number(figures.waiting),
    agents_logged_in: i18n.number(figures.agents_logged_in),
    longest_wait: figures.waiting && figures.waiting_since ? i18n.duration(now - figures.waiting_since) : "–",
    pct_abandoned: i18n.percent(figures.pct_abandoned),
    pct_timed_out: i18n.percent(figures.pct_timed_out),
    pct_handled: i18n.percent(figures.pct_handled),
    calls_today: i18n.number(figures.total),
    handled: i18n.number(figures.handled),
    abandoned: i18n.number(figures.abandoned),
    timed_out: i18n.number(figures.timed_out),
    service_level: serviceLevel(figures, i18n),
  };
}

export function averageOf(handleTimes, queue, i18n) {
  const item = handleTimes?.[queue];
  return item ? i18n.duration(item.average_s) : "–";
}
