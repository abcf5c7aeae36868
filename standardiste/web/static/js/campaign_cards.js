// A campaign's card (SV-7, AG-4), as the dialer publishes it in the live state (entity
// "campaign") — or, until it does, as the page was given it: the same figures from SQL.
// Formatting shared by the overview, the campaign's page and the agent's workspace.

/**
 * The campaign's card: the live one when it is newer than the one the page was given (by
 * the server when it rendered, or by the API after a pause: the pause flag is the truth
 * before the dialer's next tick), else the given one.
 */
export function cardOf(live, name, given) {
  const card = live.state.campaign?.[name];
  return card && (!given || card.updated_at > (given.updated_at ?? 0)) ? card : given ?? null;
}

/** "Active", "Paused (by sue)", "Inactive: no contacts left". */
export function statusText(card, i18n) {
  const { t } = i18n;
  const status = t(`campaign.status.${card.status}`);
  if (card.status === "paused") {
    return card.paused_by ? t("campaign.paused_by", { name: card.paused_by }) : status;
  }
  if (card.status === "inactive" && card.reason) {
    return `${status}${t("punct.colon")}${i18n.label("campaign.reason", card.reason)}`;
  }
  return status;
}

/** Calls today (CD-2): handled (the contact answered) + incomplete (no answer). */
export const callsOf = (card) => card.handled + card.incomplete;

/** Share of the contacts dialled at least once, 0..100 (null: no contacts). */
export function pctDialled(card) {
  return card.contacts_total ? (100 * card.contacts_dialled) / card.contacts_total : null;
}

/** The card's figures, formatted, by the catalog's figure.* names. */
export function campaignValues(card, i18n) {
  if (!card) return {};
  return {
    campaign_status: statusText(card, i18n),
    contacts_left: i18n.number(card.contacts_left),
    pct_dialled: i18n.percent(pctDialled(card)),
    agents_logged_in: i18n.number(card.agents_logged_in),
    average_call: card.aht === null || card.aht === undefined ? "–" : i18n.duration(card.aht),
    average_handle: card.aht === null || card.aht === undefined ? "–" : i18n.duration(card.aht),
    calls_made: i18n.number(callsOf(card)),
    calls_today: i18n.number(callsOf(card)),
    not_answered: i18n.number(card.incomplete),
    answered: i18n.number(card.handled),
    last_update: i18n.time(card.updated_at),
  };
}
