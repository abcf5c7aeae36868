// DOM helpers. Data only ever reaches the page through textContent and attributes set one by
// one: never innerHTML, so a caller name like "<img onerror=...>" stays text.

/** h("td", {class: "num"}, "12") — an element with attributes and text/element children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Set text only when it changed: screen readers re-announce live regions on every write. */
export function setText(el, value) {
  const text = String(value);
  if (el.textContent !== text) el.textContent = text;
}

export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/** Toggle a boolean attribute (hidden, disabled) without touching it when unchanged. */
export function setFlag(el, name, on) {
  if (el.hasAttribute(name) !== on) el.toggleAttribute(name, on);
}

/**
 * Keep container's children equal to items, by key: existing elements are reused (so focus,
 * an open <select> and a chosen pause reason survive every update), new ones are created,
 * gone ones removed, and the order follows items.
 */
export function syncChildren(container, items, keyOf, create, update) {
  const byKey = container._rows ?? (container._rows = new Map());
  const seen = new Set();
  let cursor = container.firstElementChild;
  for (const item of items) {
    const key = keyOf(item);
    seen.add(key);
    let el = byKey.get(key);
    if (!el) {
      el = create(item);
      byKey.set(key, el);
    }
    update(el, item);
    if (el !== cursor) container.insertBefore(el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const [key, el] of byKey) {
    if (!seen.has(key)) {
      el.remove();
      byKey.delete(key);
    }
  }
}

/** The JSON a page was rendered with (<script type="application/json">: data, not code). */
/** A list's items as text, or one line saying it is empty. */
export function lines(list, texts, empty) {
  const shown = texts.length ? texts : [empty];
  syncChildren(
    list,
    shown.map((text, i) => ({ text, i })),
    (x) => String(x.i),
    () => h("li"),
    (li, x) => setText(li, x.text),
  );
  setFlag(list, "data-empty", texts.length === 0);
}

/** Set an element's accessible name, touching the DOM only when it changes. */
export function ariaLabel(el, text) {
  if (el.getAttribute("aria-label") !== text) el.setAttribute("aria-label", text);
}

export function pageData() {
  return JSON.parse(byId("page-data").textContent);
}
