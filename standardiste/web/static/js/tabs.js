// Tabs as the ARIA pattern has them: a tablist of buttons, one panel shown; arrow keys, Home
// and End move between tabs (the focused one is shown). The chosen tab is kept in the URL's
// hash, so a reload or a shared link opens it.

export function setUpTabs(tablist, onShow = () => {}) {
  const tabs = [...tablist.querySelectorAll('[role="tab"]')];
  const panelOf = (tab) => document.getElementById(tab.getAttribute("aria-controls"));
  const nameOf = (tab) => tab.id.replace(/^tab-/, "");

  function show(tab, focus = false) {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      panelOf(other).hidden = !selected;
    }
    if (focus) tab.focus();
    history.replaceState(null, "", `#${nameOf(tab)}`);
    onShow(nameOf(tab));
  }

  for (const tab of tabs) {
    tab.addEventListener("click", () => show(tab));
    tab.addEventListener("keydown", (event) => {
      const i = tabs.indexOf(tab);
      const to = {
        ArrowRight: tabs[(i + 1) % tabs.length],
        ArrowLeft: tabs[(i - 1 + tabs.length) % tabs.length],
        Home: tabs[0],
        End: tabs[tabs.length - 1],
      }[event.key];
      if (!to) return;
      event.preventDefault();
      show(to, true);
    });
  }
  const wanted = tabs.find((tab) => `#${nameOf(tab)}` === location.hash);
  if (wanted) show(wanted);
  return { show: (name) => show(tabs.find((tab) => nameOf(tab) === name)) };
}
