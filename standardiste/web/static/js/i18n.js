// Strings and number/time formats in the user's language and time zone. The catalog is the
// server's (web/locales/*.json), handed over in the page data, so both sides say the same.

export function makeI18n({ strings, lang, timeZone }) {
  const t = (key, params = {}) =>
    (strings[key] ?? key).replace(/\{(\w+)\}/g, (whole, name) =>
      name in params ? String(params[name]) : whole,
    );
  const clock = new Intl.DateTimeFormat(lang, {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const stamp = new Intl.DateTimeFormat(lang, {
    timeZone,
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  const integer = new Intl.NumberFormat(lang);
  return {
    lang,
    t,
    /** A configurable value (pause reason, presence) by its catalog key, or the raw value. */
    label: (prefix, value) => strings[`${prefix}.${value}`] ?? value,
    /** Seconds as m:ss or h:mm:ss: the same in both languages and short in a table cell. */
    duration(seconds) {
      if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
      const s = Math.max(0, Math.floor(seconds));
      const hours = Math.floor(s / 3600);
      const minutes = Math.floor((s % 3600) / 60);
      const rest = String(s % 60).padStart(2, "0");
      return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
    },
    /** Epoch seconds as a wall-clock time in the user's time zone. */
    time: (epoch) => (epoch ? clock.format(new Date(epoch * 1000)) : "–"),
    /** An ISO 8601 instant (the API's) as a date and time in the user's time zone. */
    dateTime: (iso) => (iso ? stamp.format(new Date(iso)) : "–"),
    /** A percentage given as 0..100, or a dash when there is nothing to divide. */
    percent: (value) => (value === null || value === undefined ? "–" : percent.format(value / 100)),
    number: (value) => integer.format(value ?? 0),
  };
}
