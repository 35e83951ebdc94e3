// Schakel functioneel beheer: one page over /api/beheer. Views are chosen by the location hash (#/overzicht,
// #/zoeken?…, #/bericht/<id>, #/meldingen, #/wacht-op-antwoord, #/taken, #/taak/<id>, #/audit, #/testen). Everything is built with DOM calls
// and textContent (never innerHTML), so nothing from the server is interpreted as markup. A BSN typed in the
// search form is sent in a POST body only: it never goes into the address bar or the browser history.
// @ts-check — type-checked by tsconfig.beheer.json (npm run typecheck)

const STATUS = {
  received: 'Ontvangen',
  queued: 'In wachtrij',
  delivering: 'In aflevering',
  delivered: 'Afgeleverd',
  failed: 'Mislukt',
  dead: 'Onbestelbaar',
  on_hold: 'Vastgehouden',
  cancelled: 'Geannuleerd',
  rejected: 'Afgekeurd',
};
const ACTIONS = { resend: 'Opnieuw versturen', hold: 'Vasthouden', release: 'Vrijgeven', cancel: 'Annuleren' };
const REASONS = {
  'not-found': 'bericht niet gevonden',
  'invalid-state': 'niet mogelijk in deze status',
  'in-flight': 'wordt op dit moment afgeleverd',
  'body-purged': 'inhoud niet meer bewaard',
  'no-destination': 'geen bestemming bekend',
  error: 'fout in de gateway',
};
const OUTCOMES = { delivered: 'afgeleverd', retry: 'opnieuw proberen', failed: 'mislukt' };
const STANDARDS = ['iwmo', 'ijw', 'ieb', 'ipgb', 'stuf-jz', 'stuf', 'ggk'];
const PAGE = 50;

let session = null;
/** Timers of the current view; cleared when the view changes. */
let timers = [];
const main = () => document.getElementById('inhoud');

// ---- helpers ---------------------------------------------------------------------------------------------

/** h('a', { href: '#/x', class: 'c', onclick: fn }, 'text', child…) */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces an element's content; null, undefined and false children are left out, arrays flattened. */
function show(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

const fmtTime = (iso) =>
  iso ? new Date(iso).toLocaleString('nl-NL', { dateStyle: 'short', timeStyle: 'medium' }) : '—';
const dash = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));
const isBeheerder = () => session && session.role === 'beheerder';

function statusBadge(status) {
  return h('span', { class: `badge s-${status}` }, STATUS[status] || status);
}

function announce(text) {
  const el = document.getElementById('announce');
  el.textContent = '';
  setTimeout(() => (el.textContent = text), 50);
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, options = {}) {
  const headers = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.method && options.method !== 'GET') headers['x-csrf-token'] = session ? session.csrfToken : '';
  const res = await fetch(`/api/beheer${path}`, {
    method: options.method || 'GET',
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (res.status === 401) {
    location.assign('/beheer/login');
    throw new ApiError(401, 'UNAUTHENTICATED', 'Niet (meer) aangemeld');
  }
  if (options.text && res.ok) return res.text();
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.error?.code, body.error?.message || `HTTP ${res.status}`);
  return body;
}

function errorBox(err) {
  const text = err.status === 403 ? `Geen toegang: ${err.message}` : `Foutmelding: ${err.message}`;
  return h('p', { class: 'error', role: 'alert' }, text);
}

function table(caption, headers, rows, options = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: options.class },
      h('caption', { class: options.hiddenCaption ? 'visually-hidden' : null }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((x, i) => h('th', { scope: 'col', class: options.numeric?.includes(i) ? 'num' : null }, x)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length
          ? rows
          : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, options.empty || 'Geen gegevens.')),
      ),
    ),
  );
}

function every(ms, fn) {
  const t = setInterval(fn, ms);
  timers.push(t);
}

// ---- routing ---------------------------------------------------------------------------------------------

/** @type {Array<[RegExp, (m: RegExpMatchArray) => unknown]>} */
const ROUTES = [
  [/^#\/(overzicht)?$/, () => viewOverview()],
  [/^#\/zoeken(?:\?(.*))?$/, (m) => viewSearch(new URLSearchParams(m[1] || ''))],
  [/^#\/bericht\/([\w.-]+)$/, (m) => viewDetail(m[1])],
  [/^#\/meldingen$/, () => viewAlerts()],
  [/^#\/wacht-op-antwoord$/, () => viewAwaiting()],
  [/^#\/budgetwachtrij$/, () => viewBudgetQueues()],
  [/^#\/taken$/, () => viewJobs()],
  [/^#\/taak\/([\w-]+)$/, (m) => viewJob(m[1])],
  [/^#\/audit$/, () => viewAudit()],
  [/^#\/testen$/, () => viewTest()],
];

async function route() {
  const hash = location.hash || '#/overzicht';
  if (!hash.startsWith('#/')) return; // the skip link and other in-page anchors
  for (const t of timers) clearInterval(t);
  timers = [];
  for (const a of document.querySelectorAll('nav a')) {
    const here = hash.split('?')[0];
    const target = a.getAttribute('href');
    if (
      here === target ||
      (here === '#/' && target === '#/overzicht') ||
      (here.startsWith('#/bericht') && target === '#/zoeken')
    )
      a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const found = ROUTES.map(([re, view]) => /** @type {const} */ ([hash.match(re), view])).find(([m]) => m);
  const container = main();
  try {
    if (!found) throw new ApiError(404, 'NOT_FOUND', 'Deze pagina bestaat niet.');
    await found[1](/** @type {RegExpMatchArray} */ (found[0]));
  } catch (err) {
    show(container, h('h1', { tabindex: '-1' }, 'Fout'), errorBox(err));
  }
  const h1 = container.querySelector('h1');
  if (h1) {
    document.title = `${h1.textContent} — Schakel beheer`;
    h1.setAttribute('tabindex', '-1');
    h1.focus();
  }
}

// ---- overview --------------------------------------------------------------------------------------------

function searchLink(filter, n) {
  if (!n) return h('span', { class: 'zero' }, '0');
  return h('a', { href: `#/zoeken?${new URLSearchParams(filter)}` }, String(n));
}

function queueTable(caption, keyLabel, rows, filterKey) {
  const cols = [
    [keyLabel],
    ['In wachtrij', 'queued', 'queued'],
    ['In aflevering', 'delivering', 'delivering'],
    ['Vandaag afgeleverd', 'deliveredToday', null],
    ['Mislukt', 'failed', 'failed'],
    ['Onbestelbaar', 'dead', 'dead'],
    ['Vastgehouden', 'onHold', 'on_hold'],
    ['Oudste wachtend'],
  ];
  return table(
    caption,
    cols.map((c) => c[0]),
    rows.map((r) =>
      h(
        'tr',
        { class: r.dead > 0 ? 'has-dead' : null },
        h('th', { scope: 'row' }, r.key),
        cols
          .slice(1, -1)
          .map(([, field, status]) =>
            h(
              'td',
              { class: `num${field === 'dead' && r.dead > 0 ? ' alarm' : ''}` },
              status
                ? searchLink({ [filterKey]: r.key, status }, r[field])
                : h('span', { class: r[field] ? null : 'zero' }, String(r[field])),
            ),
          ),
        h('td', {}, r.oldestWaitingAt ? fmtTime(r.oldestWaitingAt) : '—'),
      ),
    ),
    { class: 'queues', hiddenCaption: true, numeric: [1, 2, 3, 4, 5, 6] },
  );
}

const FLOW_LABELS = {
  wmo: 'Wmo',
  jeugd: 'Jeugd',
  pgb: 'Pgb',
  'eigen-bijdrage': 'Eigen bijdrage',
  jeugdbescherming: 'Jeugdbescherming',
};

/** Issue #15: the messages per gemeente the user's grants cover, per flow, with the dead ones as a link. */
function gemeenteTable(rows) {
  if (!rows.length) return h('p', { class: 'meta' }, 'Geen berichten binnen uw rechten.');
  const flows = Object.keys(FLOW_LABELS).filter((f) => rows.some((r) => r.flows[f]));
  return table(
    'Berichten per gemeente',
    ['Gemeente', 'Totaal', ...flows.map((f) => FLOW_LABELS[f]), 'Onbestelbaar', 'Afgewezen'],
    rows.map((r) => {
      const key = r.gemeente ?? 'zonder gemeente';
      const filter = r.gemeente ? { gemeente: r.gemeente } : {};
      return h(
        'tr',
        { class: r.statuses.dead > 0 ? 'has-dead' : null },
        h('th', { scope: 'row' }, key),
        h('td', { class: 'num' }, r.gemeente ? searchLink(filter, r.total) : String(r.total)),
        flows.map((f) =>
          h(
            'td',
            { class: 'num' },
            r.gemeente ? searchLink({ ...filter, flow: f }, r.flows[f] || 0) : String(r.flows[f] || 0),
          ),
        ),
        h(
          'td',
          { class: `num${r.statuses.dead > 0 ? ' alarm' : ''}` },
          r.gemeente ? searchLink({ ...filter, status: 'dead' }, r.statuses.dead) : String(r.statuses.dead),
        ),
        h('td', { class: 'num' }, String(r.statuses.rejected)),
      );
    }),
    {
      class: 'queues',
      hiddenCaption: true,
      numeric: flows.map((_, i) => i + 1).concat([flows.length + 1, flows.length + 2, flows.length + 3]),
    },
  );
}

function alertList(alerts) {
  if (!alerts.length) return h('p', { class: 'ok' }, 'Geen meldingen: alles in orde.');
  return h(
    'ul',
    { class: 'alerts' },
    alerts.map((a) =>
      h(
        'li',
        { class: `alert ${a.severity}` },
        h('strong', {}, alertTitle(a.alert)),
        ' ',
        a.destination ? h('span', { class: 'dest' }, a.destination) : '',
        ': ',
        a.text,
      ),
    ),
  );
}

function alertTitle(kind) {
  return (
    {
      'queue-depth': 'Wachtrij te lang',
      'dead-letters': 'Onbestelbare berichten',
      'oldest-waiting': 'Bericht wacht te lang',
      'destination-unhealthy': 'Bestemming onbereikbaar',
      'certificate-expiring': 'Certificaat verloopt',
    }[kind] || kind
  );
}

function setAlertCount(n) {
  const el = document.getElementById('alert-count');
  el.hidden = !n;
  el.textContent = n ? `(${n})` : '';
}

async function viewOverview() {
  const container = main();
  const render = async () => {
    const o = await api('/overzicht');
    setAlertCount(o.alerts.length);
    const note = o.deliveredToday
      ? `"Vandaag afgeleverd" telt afgeleverde berichten ontvangen sinds ${fmtTime(o.deliveredToday.receivedSince)}${o.deliveredToday.complete ? '' : ' (niet volledig geteld)'}.`
      : '';
    show(
      container,
      h('h1', {}, 'Overzicht'),
      h(
        'p',
        { class: 'meta' },
        `Bijgewerkt ${fmtTime(o.generatedAt)} `,
        h(
          'button',
          { type: 'button', class: 'secondary small', onclick: () => render().catch(showError) },
          'Vernieuwen',
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'meldingen-kop' },
        h('h2', { id: 'meldingen-kop' }, 'Meldingen'),
        alertList(o.alerts),
      ),
      h(
        'section',
        {},
        h('h2', {}, 'Per bestemming'),
        queueTable('Berichten per bestemming', 'Bestemming', o.destinations, 'destination'),
      ),
      h('section', {}, h('h2', {}, 'Per gemeente'), gemeenteTable(o.gemeenten || [])),
      h(
        'section',
        {},
        h('h2', {}, 'Per standaard'),
        queueTable('Berichten per standaard', 'Standaard', o.standards, 'standard'),
        h('p', { class: 'meta' }, note),
      ),
    );
  };
  const showError = (err) => container.append(errorBox(err));
  await render();
  every(15000, () => {
    if (!container.contains(document.activeElement) || document.activeElement === container.querySelector('h1'))
      render().catch(showError);
  });
}

// ---- search ----------------------------------------------------------------------------------------------

/** @typedef {{ options?: string[], labels?: Record<string, string>, type?: string, placeholder?: string }} FieldOptions */
/** @type {Array<[string, string, FieldOptions?]>} */
const FIELDS = [
  ['berichtIdentificatie', 'BerichtIdentificatie'],
  ['message', 'Berichttype', { placeholder: 'bijv. WMO301' }],
  ['standard', 'Standaard', { options: STANDARDS }],
  ['afzender', 'Afzender'],
  ['ontvanger', 'Ontvanger'],
  ['destination', 'Bestemming'],
  ['gemeente', 'Gemeente', { placeholder: 'bijv. 0363' }],
  ['flow', 'Stroom', { options: Object.keys(FLOW_LABELS), labels: FLOW_LABELS }],
  ['status', 'Status', { options: Object.keys(STATUS), labels: STATUS }],
  ['from', 'Ontvangen vanaf', { type: 'date' }],
  ['to', 'Ontvangen tot en met', { type: 'date' }],
  ['correlatedTo', 'Antwoord op (bericht-id)'],
  ['id', 'Bericht-id'],
];

function filterForm(params, onSubmit) {
  const inputs = {};
  /** @param {[string, string, FieldOptions?]} f */
  const field = ([name, label, o = {}]) => {
    const id = `f-${name}`;
    let input;
    if (o.options) {
      input = h(
        'select',
        { id, name },
        h('option', { value: '' }, 'alle'),
        o.options.map((v) => h('option', { value: v, selected: params.get(name) === v }, o.labels?.[v] || v)),
      );
    } else {
      input = h('input', {
        id,
        name,
        type: o.type || 'text',
        value: params.get(name) || '',
        placeholder: o.placeholder,
        autocomplete: 'off',
      });
    }
    inputs[name] = input;
    return h('p', { class: 'field' }, h('label', { for: id }, label), input);
  };
  const bsn = isBeheerder()
    ? h('input', {
        id: 'f-bsn',
        name: 'bsn',
        type: 'text',
        inputmode: 'numeric',
        autocomplete: 'off',
        maxlength: '9',
        pattern: '[0-9]{9}',
        'aria-describedby': 'f-bsn-hint',
      })
    : null;
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Berichten zoeken' },
    h(
      'div',
      { class: 'grid' },
      FIELDS.map(field),
      bsn
        ? h(
            'p',
            { class: 'field' },
            h('label', { for: 'f-bsn' }, 'BSN (exact)'),
            bsn,
            h('small', { id: 'f-bsn-hint' }, 'Zoekt in de inhoud; het zoeken wordt vastgelegd, het BSN niet.'),
          )
        : null,
    ),
    h(
      'p',
      { class: 'buttons' },
      h('button', { type: 'submit' }, 'Zoeken'),
      ' ',
      h('a', { href: '#/zoeken', class: 'button secondary' }, 'Wissen'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const filter = {};
    for (const [name, input] of Object.entries(inputs)) if (input.value.trim()) filter[name] = input.value.trim();
    const bsnValue = bsn ? bsn.value.trim() : '';
    if (bsn) bsn.value = '';
    onSubmit(filter, bsnValue || null);
  });
  return form;
}

async function viewSearch(params) {
  const container = main();
  const results = h('section', { 'aria-labelledby': 'resultaten-kop' });
  // Outside the results, so a job's progress and final count stay when the results are refreshed.
  const jobArea = h('div', { class: 'job-area' });
  const filter = Object.fromEntries([...params].filter(([k, v]) => v && k !== 'offset'));
  show(
    container,
    h('h1', {}, 'Zoeken'),
    filterForm(params, (f, bsn) => {
      history.replaceState(null, '', `#/zoeken?${new URLSearchParams(f)}`);
      show(jobArea);
      runSearch(results, jobArea, f, bsn, 0).then(
        () => results.querySelector('h2').focus(),
        () => {},
      );
    }),
    jobArea,
    results,
  );
  await runSearch(results, jobArea, filter, null, Number(params.get('offset')) || 0);
}

async function runSearch(results, jobArea, filter, bsn, offset) {
  let page;
  try {
    page = bsn
      ? await api('/berichten/zoeken', { method: 'POST', body: { ...filter, bsn, limit: PAGE } })
      : await api(`/berichten?${new URLSearchParams({ ...filter, limit: PAGE, offset })}`);
  } catch (err) {
    show(results, h('h2', { id: 'resultaten-kop', tabindex: '-1' }, 'Resultaten'), errorBox(err));
    return;
  }
  const selected = new Set();
  const summary = bsn
    ? `${page.total} berichten met dit BSN (${page.scanned} doorzocht${page.complete ? '' : ', niet alles doorzocht: verfijn het filter'})`
    : `${page.total} berichten gevonden`;
  const rows = page.items.map((m) =>
    h(
      'tr',
      {},
      isBeheerder()
        ? h(
            'td',
            {},
            h('input', {
              type: 'checkbox',
              'aria-label': `Selecteer ${m.message} ${m.berichtIdentificatie || m.id}`,
              onchange: (e) => {
                if (e.target.checked) selected.add(m.id);
                else selected.delete(m.id);
                updateCount();
              },
            }),
          )
        : null,
      h('td', {}, fmtTime(m.receivedAt)),
      h(
        'td',
        {},
        h(
          'a',
          { href: `#/bericht/${m.id}`, 'aria-label': `Bericht ${m.message} ${m.berichtIdentificatie || ''} openen` },
          m.message,
        ),
      ),
      h('td', {}, dash(m.afzender)),
      h('td', {}, dash(m.ontvanger)),
      h('td', {}, dash(m.berichtIdentificatie)),
      h('td', {}, dash(m.destination)),
      h('td', {}, statusBadge(m.status)),
      h('td', { class: 'num' }, String(m.attempts)),
    ),
  );
  const headers = [
    ...(isBeheerder() ? ['Selectie'] : []),
    'Ontvangen',
    'Bericht',
    'Afzender',
    'Ontvanger',
    'BerichtIdentificatie',
    'Bestemming',
    'Status',
    'Pogingen',
  ];
  const pager = h(
    'p',
    { class: 'pager' },
    !bsn && offset > 0
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => runSearch(results, jobArea, filter, null, Math.max(0, offset - PAGE)),
          },
          'Vorige',
        )
      : null,
    page.total > PAGE && !bsn ? ` ${offset + 1}–${Math.min(offset + PAGE, page.total)} van ${page.total} ` : null,
    !bsn && offset + PAGE < page.total
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => runSearch(results, jobArea, filter, null, offset + PAGE),
          },
          'Volgende',
        )
      : null,
  );
  const countText = h('span', {});
  const updateCount = () => (countText.textContent = `Geselecteerde berichten (${selected.size})`);
  updateCount();
  // After a job the list is read again (not after a BSN search: the BSN is not kept, the job's results show the outcome).
  const refresh = bsn ? () => {} : () => runSearch(results, jobArea, filter, null, offset);
  const bulk =
    isBeheerder() && page.total > 0 ? bulkPanel(filter, bsn, page.total, selected, countText, jobArea, refresh) : null;
  show(
    results,
    h('h2', { id: 'resultaten-kop', tabindex: '-1' }, 'Resultaten'),
    h('p', { role: 'status', class: 'summary' }, summary),
    bulk,
    table('Gevonden berichten (alleen metagegevens)', headers, rows, {
      empty: 'Geen berichten gevonden.',
      class: 'results',
    }),
    pager,
  );
}

function bulkPanel(filter, bsn, total, selected, countText, progress, refresh) {
  const reason = h('input', { id: 'bulk-reason', type: 'text', maxlength: '200', autocomplete: 'off' });
  const scopeSel = h('input', { type: 'radio', name: 'scope', id: 'scope-sel', value: 'selected', checked: true });
  const scopeAll = h('input', { type: 'radio', name: 'scope', id: 'scope-all', value: 'all', disabled: Boolean(bsn) });
  const start = async (action) => {
    const all = scopeAll.checked;
    const count = all ? total : selected.size;
    if (!count) {
      show(
        progress,
        h('p', { class: 'error', role: 'alert' }, 'Selecteer eerst berichten, of kies "Alle resultaten".'),
      );
      return;
    }
    if (!confirm(`${ACTIONS[action]}: ${count} berichten?`)) return;
    const body = {
      action,
      ...(all ? { filter } : { ids: [...selected] }),
      ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
    };
    try {
      const job = await api('/jobs', { method: 'POST', body });
      await followJob(progress, job.jobId, ACTIONS[action]);
      refresh();
    } catch (err) {
      show(progress, errorBox(err));
    }
  };
  return h(
    'fieldset',
    { class: 'bulk' },
    h('legend', {}, 'Bulkactie'),
    h(
      'p',
      { class: 'scope' },
      scopeSel,
      h('label', { for: 'scope-sel' }, countText),
      ' ',
      scopeAll,
      h('label', { for: 'scope-all' }, `Alle ${total} resultaten van dit filter`),
    ),
    h('p', { class: 'field inline' }, h('label', { for: 'bulk-reason' }, 'Reden (vasthouden/annuleren)'), reason),
    h(
      'p',
      { class: 'buttons' },
      Object.entries(ACTIONS).map(([a, label]) => [
        h('button', { type: 'button', class: a === 'cancel' ? 'danger' : null, onclick: () => start(a) }, label),
        ' ',
      ]),
    ),
  );
}

/** Shows a job's progress until it is done; resolves with the final job. */
async function followJob(area, jobId, label) {
  const bar = h('progress', { max: '1', value: '0', 'aria-label': `Voortgang ${label}` });
  const text = h('p', { class: 'progress-text', role: 'status', 'aria-live': 'polite' }, 'Gestart…');
  const failures = h('div', {});
  show(
    area,
    h('h3', {}, `${label} — voortgang`),
    bar,
    text,
    failures,
    h('p', {}, h('a', { href: `#/taak/${jobId}` }, 'Details van deze taak')),
  );
  for (;;) {
    const job = await api(`/jobs/${jobId}?results=failed`);
    bar.max = Math.max(1, job.total);
    bar.value = job.done;
    const line = `${job.done} van ${job.total} verwerkt: ${job.ok} gelukt, ${job.failed} mislukt`;
    if (job.state === 'done') {
      text.textContent = `Klaar. ${line}.`;
      text.dataset.done = 'true';
      if (job.results.length) show(failures, resultTable('Niet gelukt', job.results));
      announce(`${label} klaar: ${job.ok} gelukt, ${job.failed} mislukt`);
      return job;
    }
    text.textContent =
      job.state === 'interrupted' ? `Onderbroken (wacht op een andere instantie). ${line}.` : `${line}…`;
    await new Promise((r) => setTimeout(r, 400));
  }
}

function resultTable(caption, results) {
  return table(
    caption,
    ['Bericht', 'Resultaat', 'Status', 'Reden'],
    results.map((r) =>
      h(
        'tr',
        {},
        h('td', {}, h('a', { href: `#/bericht/${r.id}` }, r.id)),
        h('td', {}, r.ok ? 'gelukt' : 'mislukt'),
        h('td', {}, r.status ? statusBadge(r.status) : '—'),
        h('td', {}, r.reason ? REASONS[r.reason] || r.reason : '—'),
      ),
    ),
  );
}

// ---- detail ----------------------------------------------------------------------------------------------

function dl(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node ? v : dash(v))]),
  );
}

function failureBox(m) {
  const failed = [...m.attempts].reverse().find((a) => a.outcome !== 'delivered');
  const show = ['failed', 'dead', 'queued', 'on_hold', 'cancelled'].includes(m.status) && (failed || m.statusReason);
  if (!show || m.status === 'delivered') return null;
  return h(
    'section',
    { class: 'failure', 'aria-labelledby': 'fout-kop' },
    h('h2', { id: 'fout-kop' }, 'Foutmelding'),
    m.statusReason ? h('p', { class: 'reason' }, m.statusReason) : null,
    failed
      ? dl([
          ['Laatste mislukte poging', `${failed.attemptNo} op ${fmtTime(failed.startedAt)}`],
          ['HTTP-status', failed.httpStatus],
          ...(failed.reason !== m.statusReason ? [['Reden', failed.reason]] : []),
          ['Antwoord van de ontvanger', failed.answerExcerpt ? h('code', {}, failed.answerExcerpt) : '—'],
        ])
      : null,
  );
}

async function viewDetail(id) {
  const container = main();
  const actionArea = h('div', { class: 'job-area' });
  const bodyArea = h('div', {});
  const render = async () => {
    const m = await api(`/berichten/${encodeURIComponent(id)}`);
    const actions = m.allowedActions.length
      ? h(
          'section',
          { 'aria-labelledby': 'acties-kop', class: 'actions' },
          h('h2', { id: 'acties-kop' }, 'Acties'),
          h(
            'p',
            { class: 'buttons' },
            m.allowedActions.map((a) => [
              h(
                'button',
                { type: 'button', class: a === 'cancel' ? 'danger' : null, onclick: () => act(a) },
                ACTIONS[a],
              ),
              ' ',
            ]),
          ),
          actionArea,
        )
      : null;
    const body = m.canOpenBody
      ? h(
          'section',
          { 'aria-labelledby': 'inhoud-kop' },
          h('h2', { id: 'inhoud-kop' }, 'Inhoud'),
          h(
            'p',
            { class: 'meta' },
            'De inhoud kan persoonsgegevens bevatten. Het openen wordt vastgelegd in het auditlog.',
          ),
          h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: openBody }, 'Inhoud tonen')),
          bodyArea,
        )
      : null;
    show(
      container,
      h('h1', {}, `${m.message} ${m.berichtIdentificatie || ''}`.trim()),
      h(
        'p',
        { class: 'status-line' },
        'Status: ',
        statusBadge(m.status),
        m.status === 'queued' || m.status === 'delivering' ? ' (wordt bijgewerkt)' : '',
      ),
      failureBox(m),
      actions,
      h(
        'section',
        { 'aria-labelledby': 'gegevens-kop' },
        h('h2', { id: 'gegevens-kop' }, 'Gegevens'),
        dl([
          ['Bericht-id', h('code', {}, m.id)],
          ['Standaard', `${m.standard} ${m.release}`],
          ['Richting', m.direction],
          ['Gemeente', m.gemeente || '—'],
          ['Stroom', m.flow ? FLOW_LABELS[m.flow] || m.flow : '—'],
          ['Afzender', m.afzender],
          ['Ontvanger', m.ontvanger],
          ['BerichtIdentificatie', m.berichtIdentificatie],
          ['Dagtekening', m.dagtekening],
          ['Referentienummer', m.referentienummer],
          ['Bestemming', m.destination],
          ['Ontvangen', fmtTime(m.receivedAt)],
          ['Afgesloten', fmtTime(m.settledAt)],
          ['Volgende poging', fmtTime(m.nextAttemptAt)],
          ['Aangeleverd door', `${m.source.kind === 'caller' ? 'systeem' : 'partij'} ${m.source.id}`],
          ['Antwoord op', m.correlatedTo ? h('a', { href: `#/bericht/${m.correlatedTo}` }, 'heenbericht openen') : '—'],
          [
            'Retour',
            m.answer
              ? h(
                  'span',
                  {},
                  h('a', { href: `#/bericht/${m.answer.id}` }, 'retourbericht openen'),
                  m.answer.summary ? ` (retourcodes ${m.answer.summary})` : '',
                )
              : '—',
          ],
          ...(m.status === 'rejected'
            ? [
                [
                  'Antwoord van Schakel',
                  m.answerSent
                    ? h(
                        'span',
                        {},
                        h('a', { href: `#/bericht/${m.answerSent.id}` }, `${m.answerSent.message} verstuurd`),
                        ` naar ${m.answerSent.destination || '(geen bestemming)'}`,
                        m.answerSent.summary ? ` (code ${m.answerSent.summary})` : '',
                        ' — ',
                        statusBadge(m.answerSent.status),
                      )
                    : 'geen (alleen het directe antwoord op het verzoek)',
                ],
              ]
            : []),
        ]),
      ),
      m.conversation.length
        ? table(
            'Retourberichten bij dit bericht',
            ['Ontvangen', 'Bericht', 'Status', 'Retourcodes'],
            m.conversation.map((r) =>
              h(
                'tr',
                {},
                h('td', {}, fmtTime(r.receivedAt)),
                h('td', {}, h('a', { href: `#/bericht/${r.id}` }, r.message)),
                h('td', {}, statusBadge(r.status)),
                h('td', {}, dash(r.summary)),
              ),
            ),
          )
        : null,
      m.findings.length
        ? table(
            'Bevindingen',
            ['Code', 'Retourcode', 'Regel', 'Kolom', 'Pad', 'Tekst'],
            m.findings.map((f) =>
              h(
                'tr',
                {},
                h('td', {}, f.code),
                h('td', {}, dash(f.retourcode)),
                h('td', {}, dash(f.line)),
                h('td', {}, dash(f.column)),
                h('td', {}, dash(f.path)),
                h('td', {}, f.text),
              ),
            ),
          )
        : null,
      table(
        'Afleverpogingen',
        ['Poging', 'Bestemming', 'Begonnen', 'Duur', 'Uitkomst', 'HTTP', 'Foutmelding', 'Antwoord ontvanger'],
        m.attempts.map((a) =>
          h(
            'tr',
            { class: a.outcome === 'delivered' ? null : 'bad' },
            h('td', { class: 'num' }, String(a.attemptNo)),
            h('td', {}, a.destination),
            h('td', {}, fmtTime(a.startedAt)),
            h('td', { class: 'num' }, `${a.durationMs} ms`),
            h('td', {}, OUTCOMES[a.outcome] || a.outcome),
            h('td', { class: 'num' }, dash(a.httpStatus)),
            h('td', {}, dash(a.reason)),
            h('td', {}, a.answerExcerpt ? h('code', {}, a.answerExcerpt) : '—'),
          ),
        ),
        { empty: 'Nog geen afleverpogingen.' },
      ),
      table(
        'Statusgeschiedenis',
        ['Tijd', 'Van', 'Naar', 'Door', 'Reden'],
        m.history.map((s) =>
          h(
            'tr',
            {},
            h('td', {}, fmtTime(s.at)),
            h('td', {}, s.from ? STATUS[s.from] || s.from : '—'),
            h('td', {}, STATUS[s.to] || s.to),
            h('td', {}, s.actor),
            h('td', {}, dash(s.reason)),
          ),
        ),
      ),
      m.audit
        ? table(
            'Auditlog van dit bericht',
            ['Tijd', 'Wie', 'Actie'],
            m.audit.map((a) => h('tr', {}, h('td', {}, fmtTime(a.at)), h('td', {}, a.actor), h('td', {}, a.action))),
            { empty: 'Nog niets vastgelegd.' },
          )
        : null,
      body,
    );
    return m;
  };
  const act = async (action) => {
    try {
      const job = await api('/jobs', { method: 'POST', body: { action, ids: [id] } });
      const done = await followJob(actionArea, job.jobId, ACTIONS[action]);
      const r = done.results[0];
      // In the action area, which every re-render keeps, so the outcome stays in view.
      actionArea.append(
        h(
          'p',
          { class: r ? 'error' : 'ok', role: 'status' },
          r ? `${ACTIONS[action]} niet gelukt: ${REASONS[r.reason] || r.reason}` : `${ACTIONS[action]}: gelukt.`,
        ),
      );
      const now = await render();
      const line = /** @type {HTMLElement | null} */ (container.querySelector('.status-line'));
      line?.setAttribute('tabindex', '-1');
      line?.focus();
      watch(now);
    } catch (err) {
      show(actionArea, errorBox(err));
    }
  };
  const openBody = async () => {
    try {
      const text = await api(`/berichten/${encodeURIComponent(id)}/body`, { text: true });
      const pre = h('pre', { class: 'body', tabindex: '0', 'aria-label': 'Inhoud van het bericht' }, text);
      show(bodyArea, pre);
      pre.focus();
    } catch (err) {
      show(bodyArea, errorBox(err));
    }
  };
  /** While the message waits for delivery, the page follows it (unless the user is busy on it). */
  let watching = false;
  const waiting = (x) => x.status === 'queued' || x.status === 'delivering';
  const watch = (m) => {
    if (watching || !waiting(m)) return;
    watching = true;
    const timer = setInterval(async () => {
      if (bodyArea.childElementCount || document.activeElement?.tagName === 'BUTTON') return;
      const onStatus = document.activeElement?.classList.contains('status-line');
      const now = await render().catch(() => null);
      if (onStatus) {
        const line = /** @type {HTMLElement | null} */ (container.querySelector('.status-line'));
        line?.setAttribute('tabindex', '-1');
        line?.focus();
      }
      if (now && !waiting(now)) {
        clearInterval(timer);
        watching = false;
        announce(`Status nu: ${STATUS[now.status] || now.status}`);
      }
    }, 1000);
    timers.push(timer);
  };
  watch(await render());
}

// ---- alerts, jobs, audit ---------------------------------------------------------------------------------

async function viewAlerts() {
  const { alerts } = await api('/meldingen');
  setAlertCount(alerts.length);
  show(main(), h('h1', {}, 'Meldingen'), alertList(alerts));
}

// "Wacht op antwoord": heenberichten whose answer is overdue in working days, per party and per gemeente.
async function viewAwaiting() {
  const r = await api('/wacht-op-antwoord');
  show(
    main(),
    h('h1', {}, 'Wacht op antwoord'),
    h(
      'p',
      { class: 'meta' },
      `${r.total} bericht(en) wachten langer op hun antwoord dan de termijn in werkdagen (weekend en feestdagen tellen niet).`,
    ),
    table(
      'Per partij',
      ['Partij', 'Berichten'],
      r.perParty.map((p) => h('tr', {}, h('td', {}, p.party || '—'), h('td', { class: 'num' }, String(p.count)))),
      { empty: 'Niets te laat.' },
    ),
    table(
      'Per gemeente',
      ['Gemeente', 'Berichten'],
      r.perGemeente.map((g) => h('tr', {}, h('td', {}, g.gemeente || '—'), h('td', { class: 'num' }, String(g.count)))),
      { empty: 'Niets te laat.' },
    ),
    table(
      'Berichten',
      ['Bericht', 'Verwacht', 'Partij', 'Gemeente', 'Verstuurd', 'Uiterlijk', 'Werkdagen te laat'],
      r.items.map((i) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/bericht/${i.id}` }, i.message)),
          h('td', {}, i.answer),
          h('td', {}, i.party),
          h('td', {}, i.gemeente || '—'),
          h('td', {}, fmtTime(i.sentAt)),
          h('td', {}, fmtTime(i.due)),
          h('td', { class: 'num' }, String(i.workingDaysLate)),
        ),
      ),
      { empty: 'Geen berichten die te lang wachten.' },
    ),
  );
}

// TR507: TKBs held back per budget until the retour on the previous one; release one from its detail page.
async function viewBudgetQueues() {
  const { queues } = await api('/budgetwachtrij');
  show(
    main(),
    h('h1', {}, 'Budgetwachtrij (TR507)'),
    h(
      'p',
      { class: 'meta' },
      'Een volgende TKB over hetzelfde budget wacht tot de retour op de vorige binnen is en gaat dan vanzelf. Vrijgeven met de hand kan op de pagina van het bericht.',
    ),
    table(
      "Wachtende TKB's per budget",
      ['Afzender', 'Budget', 'Cliënt (sleutel)', 'Wacht op', 'Vastgehouden'],
      queues.map((q) =>
        h(
          'tr',
          {},
          h('td', {}, q.afzender),
          h('td', {}, q.budget),
          h('td', {}, q.client),
          h('td', {}, q.waitingFor ? h('a', { href: `#/bericht/${q.waitingFor}` }, 'vorige TKB') : '—'),
          h(
            'td',
            {},
            ...q.held.map((m, i) =>
              h('span', {}, i ? ', ' : '', h('a', { href: `#/bericht/${m.id}` }, m.berichtIdentificatie || m.id)),
            ),
          ),
        ),
      ),
      { empty: "Geen TKB's in de wachtrij." },
    ),
  );
}

async function viewJobs() {
  const { jobs } = await api('/jobs');
  show(
    main(),
    h('h1', {}, 'Taken'),
    h(
      'p',
      { class: 'meta' },
      'Bulkacties van deze gateway. De voortgang wordt in het geheugen bijgehouden en gaat bij een herstart verloren; de uitgevoerde acties staan in het auditlog.',
    ),
    table(
      'Recente taken',
      ['Gestart', 'Door', 'Actie', 'Berichten', 'Gelukt', 'Mislukt', 'Stand'],
      jobs.map((j) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/taak/${j.id}` }, fmtTime(j.createdAt))),
          h('td', {}, j.actor),
          h('td', {}, ACTIONS[j.action] || j.action),
          h('td', { class: 'num' }, String(j.total)),
          h('td', { class: 'num' }, String(j.ok)),
          h('td', { class: 'num' }, String(j.failed)),
          h('td', {}, j.state === 'done' ? 'klaar' : j.state === 'interrupted' ? 'onderbroken' : 'bezig'),
        ),
      ),
      { empty: 'Nog geen taken.' },
    ),
  );
}

async function viewJob(id) {
  const area = h('div', { class: 'job-area' });
  show(main(), h('h1', {}, 'Taak'), area);
  const job = await followJob(area, id, 'Taak');
  const all = await api(`/jobs/${id}`);
  area.append(
    h(
      'p',
      { class: 'meta' },
      `${ACTIONS[job.action] || job.action} door ${job.actor}, gestart ${fmtTime(job.createdAt)}.`,
    ),
    resultTable('Alle resultaten', all.results),
  );
}

async function viewAudit() {
  const container = main();
  const actor = h('input', { id: 'a-actor', type: 'text', autocomplete: 'off' });
  const action = h('input', {
    id: 'a-action',
    type: 'text',
    autocomplete: 'off',
    placeholder: 'bijv. beheer.body-view',
  });
  const out = h('div', {});
  const load = async () => {
    const q = new URLSearchParams({
      limit: '200',
      ...(actor.value.trim() ? { actor: actor.value.trim() } : {}),
      ...(action.value.trim() ? { action: action.value.trim() } : {}),
    });
    try {
      const { entries } = await api(`/audit?${q}`);
      show(
        out,
        table(
          'Auditlog (nieuwste eerst)',
          ['Tijd', 'Wie', 'Actie', 'Bericht', 'Details'],
          entries.map((e) =>
            h(
              'tr',
              {},
              h('td', {}, fmtTime(e.at)),
              h('td', {}, e.actor),
              h('td', {}, e.action),
              h('td', {}, e.targetId ? h('a', { href: `#/bericht/${e.targetId}` }, e.targetId) : '—'),
              h('td', {}, h('code', {}, JSON.stringify(e.details))),
            ),
          ),
        ),
      );
    } catch (err) {
      show(out, errorBox(err));
    }
  };
  const form = h(
    'form',
    { class: 'filters inline', 'aria-label': 'Auditlog filteren' },
    h('p', { class: 'field' }, h('label', { for: 'a-actor' }, 'Wie (bijv. beheer:naam)'), actor),
    h('p', { class: 'field' }, h('label', { for: 'a-action' }, 'Actie'), action),
    h('p', { class: 'buttons' }, h('button', { type: 'submit' }, 'Filteren')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  show(container, h('h1', {}, 'Auditlog'), form, out);
  await load();
}

// ---- test a bericht (beheerder) -------------------------------------------------------------------------

const ROUTE_KINDS = { route: 'Route', 'no-route': 'Geen route', refused: 'Niet gerouteerd' };

function findingsTable(caption, findings) {
  return table(
    caption,
    ['Code', 'Retourcode', 'Regel', 'Kolom', 'Element', 'Tekst'],
    findings.map((f) =>
      h(
        'tr',
        {},
        h('td', {}, f.code),
        h('td', {}, dash(f.retourcode)),
        h('td', { class: 'num' }, dash(f.line)),
        h('td', { class: 'num' }, dash(f.column)),
        h('td', {}, h('code', {}, dash(f.path))),
        h('td', {}, f.text),
      ),
    ),
    { numeric: [2, 3], empty: 'Geen bevindingen.' },
  );
}

function verdictSection(v, title) {
  const what = v.message
    ? `${v.standard} ${v.release} ${v.message} (${v.direction === 'retour' ? 'retour' : 'heen'})`
    : 'niet herkend';
  return h(
    'section',
    { class: 'verdict' },
    h('h3', {}, title),
    h(
      'p',
      { class: v.valid ? 'ok' : 'error', 'data-verdict': v.valid ? 'valid' : 'invalid' },
      `${what}: ${v.valid ? 'geldig' : v.xsdValid ? 'ONGELDIG (technische regels)' : 'ONGELDIG (formaat/XSD)'}`,
    ),
    findingsTable(`Bevindingen ${title.toLowerCase()}`, v.findings),
    v.payload ? verdictSection(v.payload, 'Bericht in de envelop') : null,
  );
}

async function viewTest() {
  const container = main();
  if (!isBeheerder()) {
    show(
      container,
      h('h1', {}, 'Bericht testen'),
      errorBox(new ApiError(403, 'ROLE_FORBIDDEN', 'alleen een beheerder mag berichten testen')),
    );
    return;
  }
  const text = h('textarea', { id: 't-bericht', rows: 14, spellcheck: 'false', autocomplete: 'off' });
  const file = h('input', { id: 't-file', type: 'file', accept: '.xml,application/xml,text/xml' });
  file.addEventListener('change', async () => {
    if (file.files?.[0]) text.value = await file.files[0].text();
  });
  const out = h('div', { id: 't-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Bericht testen' },
    h('p', { class: 'field' }, h('label', { for: 't-bericht' }, 'Bericht (XML)'), text),
    h('p', { class: 'field' }, h('label', { for: 't-file' }, 'Of kies een bestand'), file),
    h('p', { class: 'buttons' }, h('button', { type: 'submit' }, 'Testen')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    show(out, h('p', {}, 'Bezig…'));
    try {
      const res = await fetch('/api/beheer/test-bericht', {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/xml', 'x-csrf-token': session.csrfToken },
        credentials: 'same-origin',
        body: text.value,
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new ApiError(res.status, body.error?.code, body.error?.message || `HTTP ${res.status}`);
      const r = body.route;
      show(
        out,
        h('h2', {}, 'Uitslag'),
        h('p', { class: 'meta' }, 'Niet opgeslagen en niet verstuurd.'),
        verdictSection(body.verdict, 'Oordeel'),
        h('h3', {}, 'Route'),
        h(
          'p',
          { id: 't-route', 'data-route': r.kind },
          `${ROUTE_KINDS[r.kind] || r.kind}: `,
          r.kind === 'route' ? `naar ${r.destination} (${r.adapter})` : r.text,
        ),
        h('h3', {}, 'Retourbericht'),
        body.retour
          ? h('pre', { id: 't-retour', class: 'body' }, body.retour)
          : h('p', {}, 'De standaard schrijft hier geen retourbericht voor.'),
      );
      announce(body.verdict.valid ? 'Het bericht is geldig.' : 'Het bericht is ongeldig.');
    } catch (err) {
      show(out, errorBox(err));
    }
  });
  show(
    container,
    h('h1', {}, 'Bericht testen'),
    h(
      'p',
      {},
      'Plak of kies een bericht: het gaat door dezelfde validatie en routering als een ingestuurd bericht, maar wordt niet opgeslagen en niet verstuurd.',
    ),
    form,
    out,
  );
}

// ---- start -----------------------------------------------------------------------------------------------

/**
 * The session's grants in words: "beheerder: 0363 · wmo; viewer: alle gemeenten · jeugdbescherming".
 * @param {{role: string, gemeenten: string[] | '*', flows: string[] | '*'}[]} grants
 */
function grantsText(grants) {
  return (grants || [])
    .map((g) => {
      const gemeenten = g.gemeenten === '*' ? 'alle gemeenten' : g.gemeenten.join(', ');
      const flows = g.flows === '*' ? 'alle stromen' : g.flows.join(', ');
      return `${g.role}: ${gemeenten} · ${flows}`;
    })
    .join('; ');
}

async function start() {
  session = await api('/session');
  document.getElementById('who').textContent = `${session.user} (${session.role})`;
  document.getElementById('grants').textContent = grantsText(session.grants);
  /** @type {HTMLInputElement} */ (document.getElementById('logout-csrf')).value = session.csrfToken;
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-role="beheerder"]')))
    el.hidden = !isBeheerder();
  document.getElementById('skip').addEventListener('click', (e) => {
    e.preventDefault();
    main().focus();
  });
  window.addEventListener('hashchange', route);
  await route();
}

start().catch((err) => show(main(), h('h1', {}, 'Fout'), errorBox(err)));
