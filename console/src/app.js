// The Missionlog console: a single page over missionlogd's JSON API
// (services/http_gateway.h). Every value from the record is rendered as
// text (textContent / text nodes), never as markup; no inline script or
// style (the server's Content-Security-Policy forbids both); the bearer
// token lives in session storage only; no cookies.
'use strict';

(function () {
  const page = () => document.getElementById('page');

  // --- Small helpers ------------------------------------------------------

  // h('p', {class: 'x'}, 'text', child...): an element; strings become
  // text nodes, so data is never parsed as HTML.
  function h(tag, attrs, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null && value !== false) {
        element.setAttribute(name, String(value));
      }
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  function route() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?');
    return { path, params: new URLSearchParams(query || '') };
  }

  // A link to another page, keeping the as-of position.
  function link(path, params, ...text) {
    const query = new URLSearchParams(params || {});
    const asOf = route().params.get('as_of');
    if (asOf && !query.has('as_of')) query.set('as_of', asOf);
    const suffix = query.toString();
    return h('a', { class: 'govuk-link', href: '#' + path + (suffix ? '?' + suffix : '') }, ...text);
  }

  function eventLinks(positions) {
    const list = (positions || []).map(Number);
    if (list.length === 0) return '';
    return h('span', { class: 'ml-nowrap' }, list.slice(0, 6).map((p, i) =>
      [i ? ', ' : '', link('/event', { position: p }, 'event ' + p)]),
    list.length > 6 ? ' …' : '');
  }

  function dateText(date) {
    if (!date || !date.year) return '';
    const pad = (n) => String(n).padStart(2, '0');
    return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
  }

  function parseDate(text) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || '');
    return m ? { year: +m[1], month: +m[2], day: +m[3] } : null;
  }

  function ownerText(owner) {
    if (!owner) return '';
    const ref = owner.organisation || owner.post || owner.person;
    return ref ? ref.stream : '';
  }

  function pounds(minor) {
    const value = Number(minor || 0) / 100;
    return '£' + value.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  class ApiError extends Error {
    constructor(code, message, status) {
      super(message);
      this.code = code;
      this.status = status;
    }
  }

  // POST /api/v1/<Service>/<Method>: the request and answer as JSON.
  async function post(call, body) {
    const headers = { 'Content-Type': 'application/json' };
    const token = sessionStorage.getItem('missionlog-token');
    if (token) headers.Authorization = 'Bearer ' + token;
    const response = await fetch('/api/v1/' + call, {
      method: 'POST', headers, body: JSON.stringify(body || {}), credentials: 'omit',
    });
    const json = await response.json();
    if (!response.ok) throw new ApiError(json.code, json.message, response.status);
    return json;
  }

  // A call's answer; for an Inquiry query, every page of it (inquiry.proto,
  // "Paging": a long answer comes in pages of at most 3 MiB), each page's
  // rows after the first's.
  async function api(call, body) {
    const answer = await post(call, body);
    let token = answer.info && answer.info.next_page_token;
    while (token) {
      const options = Object.assign({}, (body && body.options) || {}, { page_token: token });
      const page = await post(call, Object.assign({}, body, { options }));
      for (const [key, value] of Object.entries(page)) {
        if (Array.isArray(value)) answer[key] = (answer[key] || []).concat(value);
      }
      token = page.info && page.info.next_page_token;
    }
    if (answer.info) delete answer.info.next_page_token;
    return answer;
  }

  // Every query's options: the as-of position when one is chosen.
  function queryOptions() {
    const asOf = route().params.get('as_of');
    return asOf ? { as_of_position: asOf } : {};
  }

  function showError(error) {
    const hint = error.status === 401 || error.status === 403
      ? h('p', { class: 'govuk-body' }, 'Give a token with the right role on the ', link('/', {}, 'home page'), '.')
      : '';
    return h('div', { class: 'govuk-error-summary', role: 'alert', 'data-module': 'govuk-error-summary' },
      h('h2', { class: 'govuk-error-summary__title' }, 'The record could not be read'),
      h('div', { class: 'govuk-error-summary__body' },
        h('p', { class: 'govuk-body' }, (error.code || 'ERROR') + ': ' + error.message), hint));
  }

  function answeredAt(info) {
    if (!info) return '';
    return h('p', { class: 'govuk-body-s', 'data-answer-position': info.position || '0' },
      `Answered from the ${info.projection} view, which has applied events 0 to ${Math.max(0, Number(info.position || 0) - 1)}.`);
  }

  function table(caption, head, rows, attrs) {
    return h('table', Object.assign({ class: 'govuk-table' }, attrs || {}),
      h('caption', { class: 'govuk-table__caption govuk-table__caption--m' }, caption),
      h('thead', { class: 'govuk-table__head' },
        h('tr', { class: 'govuk-table__row' }, head.map((cell) => h('th', { scope: 'col', class: 'govuk-table__header' }, cell)))),
      h('tbody', { class: 'govuk-table__body' }, rows.length ? rows : [
        h('tr', { class: 'govuk-table__row' }, h('td', { class: 'govuk-table__cell', colspan: head.length }, 'Nothing recorded.'))]));
  }

  function row(cells, attrs) {
    return h('tr', Object.assign({ class: 'govuk-table__row' }, attrs || {}),
      cells.map((cell) => h('td', { class: 'govuk-table__cell' }, cell)));
  }

  function tag(text, colour) {
    return h('strong', { class: 'govuk-tag' + (colour ? ' govuk-tag--' + colour : '') }, text);
  }

  // A GET form that navigates within the console.
  function form(path, fields, submit) {
    const element = h('form', { class: 'ml-form', novalidate: true },
      fields.map(([name, label, value, hint]) => h('div', { class: 'govuk-form-group' },
        h('label', { class: 'govuk-label', for: 'f-' + name }, label),
        hint ? h('div', { class: 'govuk-hint', id: 'f-' + name + '-hint' }, hint) : '',
        h('input', { class: 'govuk-input', id: 'f-' + name, name, type: 'text', value: value || '', 'aria-describedby': hint ? 'f-' + name + '-hint' : null }))),
      h('button', { class: 'govuk-button', type: 'submit', 'data-module': 'govuk-button' }, submit));
    element.addEventListener('submit', (event) => {
      event.preventDefault();
      const params = new URLSearchParams();
      for (const [name] of fields) {
        const value = element.elements[name].value.trim();
        if (value) params.set(name, value);
      }
      const asOf = route().params.get('as_of');
      if (asOf && !params.has('as_of')) params.set('as_of', asOf);
      location.hash = '#' + path + '?' + params.toString();
    });
    return element;
  }

  // --- Pages --------------------------------------------------------------

  async function homePage() {
    const tokenInput = h('input', { class: 'govuk-input', id: 'token', name: 'token', type: 'password', autocomplete: 'off' });
    const saved = h('p', { class: 'govuk-body', id: 'token-state' },
      sessionStorage.getItem('missionlog-token') ? 'A token is set for this tab.' : 'No token is set: the server treats you as anonymous.');
    const tokenForm = h('form', { novalidate: true },
      h('div', { class: 'govuk-form-group' },
        h('label', { class: 'govuk-label', for: 'token' }, 'Your access token'),
        h('div', { class: 'govuk-hint' }, 'Kept in this browser tab only, and sent with every request. Closing the tab forgets it.'),
        tokenInput),
      h('button', { class: 'govuk-button', type: 'submit' }, 'Use this token'));
    tokenForm.addEventListener('submit', (event) => {
      event.preventDefault();
      if (tokenInput.value.trim()) sessionStorage.setItem('missionlog-token', tokenInput.value.trim());
      else sessionStorage.removeItem('missionlog-token');
      tokenInput.value = '';
      saved.textContent = sessionStorage.getItem('missionlog-token') ? 'A token is set for this tab.' : 'No token is set.';
    });
    let head = '';
    try {
      const answer = await api('EventStore/GetHead', {});
      head = h('p', { class: 'govuk-body', id: 'head' }, `The record holds ${Number(answer.next_position || 0).toLocaleString('en-GB')} events.`);
    } catch (error) {
      head = showError(error);
    }
    return [
      h('h1', { class: 'govuk-heading-xl' }, 'The record'),
      h('p', { class: 'govuk-body-l' }, 'Who owned what, where decisions were made, what money went where, and who was told — every fact one click from the events behind it, and checkable against the signed record.'),
      head,
      h('ul', { class: 'govuk-list govuk-list--bullet' },
        h('li', {}, link('/government', {}, 'Government on a date'), ': who held which post'),
        h('li', {}, link('/mission', { stream: 'dhsc/mission/nhs' }, 'A mission'), ': owners over time, decisions, spending, concerns'),
        h('li', {}, link('/spending', { organisation: 'hmt', fiscal_year: '2023-24' }, 'Spending'), ': by organisation, fiscal year, mission or supplier, month by month'),
        h('li', {}, link('/concerns', { status: 'open' }, 'Concerns'), ': open, closed, overdue on a date, and who was told'),
        h('li', {}, link('/search', {}, 'Search the events'), ' by stream, type and date'),
        h('li', {}, link('/live', {}, 'Live'), ': events as they are recorded'),
        h('li', {}, link('/audit', {}, 'Audit'), ': check any event against the signed checkpoint, in this browser')),
      h('h2', { class: 'govuk-heading-m' }, 'As of an earlier point'),
      form(route().path === '/' ? '/' : route().path, [['as_of', 'Show the record as it stood when it held this many events', route().params.get('as_of'), 'Leave empty for the record as it is now.']], 'Show'),
      h('h2', { class: 'govuk-heading-m' }, 'Access'),
      saved, tokenForm,
    ];
  }

  async function governmentPage(params) {
    const date = params.get('date') || '';
    const out = [h('h1', { class: 'govuk-heading-xl' }, 'Government on a date'),
      form('/government', [['date', 'Date', date, 'For example, 2022-10-24'], ['post', 'Post name contains', params.get('post'), 'Optional, for example Prime Minister']], 'Show government')];
    if (!date) return out;
    const on = parseDate(date);
    if (!on) return out.concat(showError({ code: 'INVALID_ARGUMENT', message: 'a date is YYYY-MM-DD' }));
    const answer = await api('Inquiry/GovernmentOn', { on, post_name_contains: params.get('post') || '', options: queryOptions() });
    const byDepartment = new Map();
    for (const post of answer.posts || []) {
      const key = post.organisation_name || post.organisation || 'Other';
      if (!byDepartment.has(key)) byDepartment.set(key, []);
      byDepartment.get(key).push(post);
    }
    out.push(h('h2', { class: 'govuk-heading-l', id: 'government-date' }, 'On ' + date), answeredAt(answer.info));
    for (const [department, posts] of byDepartment) {
      out.push(table(department, ['Rank', 'Post', 'Holder', 'From', 'To', 'Events'],
        posts.flatMap((post) => (post.holders && post.holders.length ? post.holders : [null]).map((holder) => row([
          post.rank || '',
          post.post_name || post.post,
          holder ? h('span', {}, link('/person', { stream: holder.person }, holder.person_name || holder.person),
            holder.acting ? [' ', tag('acting', 'yellow')] : '', holder.on_leave ? [' ', tag('on leave', 'grey')] : '') : 'vacant',
          holder ? dateText(holder.start) : '',
          holder ? dateText(holder.end) : '',
          holder ? [eventLinks(holder.positions), holder.positions && holder.positions.length ? ' ' : '',
            link('/subject', { stream: holder.appointment }, 'appointment')] : '',
        ], { 'data-post': post.post_name || '' })))));
    }
    return out;
  }

  function ownershipChart(intervals) {
    const container = h('div', { class: 'ml-chart', id: 'ownership-chart' });
    if (!intervals.length || !window.d3) return container;
    const d3 = window.d3;
    const today = new Date();
    const start = (i) => new Date(dateText(i.from) || today);
    const end = (i) => (i.to && i.to.year ? new Date(dateText(i.to)) : today);
    const roles = [...new Set(intervals.map((i) => i.role || 'OWNERSHIP_ROLE_UNSPECIFIED'))];
    const width = 900; const rowHeight = 34; const left = 230;
    const height = roles.length * rowHeight + 40;
    const x = d3.scaleTime().domain([d3.min(intervals, start), d3.max(intervals, end)]).range([left, width - 20]);
    const y = d3.scaleBand().domain(roles).range([10, height - 30]).padding(0.2);
    const svg = d3.select(container).append('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('role', 'img')
      .attr('aria-label', 'Ownership over time, one row per role');
    svg.append('g').attr('transform', `translate(0,${height - 30})`).call(d3.axisBottom(x).ticks(8));
    svg.append('g').attr('transform', `translate(${left},0)`).call(d3.axisLeft(y).tickFormat((r) => r.replace('OWNERSHIP_ROLE_', '').replace(/_/g, ' ').toLowerCase()));
    const bars = svg.selectAll('g.ml-owner').data(intervals).enter().append('g').attr('class', 'ml-owner');
    bars.append('rect').attr('class', 'ml-interval').attr('data-owner', (i) => ownerText(i.owner))
      .attr('x', (i) => x(start(i))).attr('width', (i) => Math.max(2, x(end(i)) - x(start(i))))
      .attr('y', (i) => y(i.role || 'OWNERSHIP_ROLE_UNSPECIFIED')).attr('height', y.bandwidth())
      .append('title').text((i) => `${i.label || ownerText(i.owner)}: ${dateText(i.from)} to ${dateText(i.to) || 'now'}`);
    bars.append('text').attr('class', 'ml-interval-label').attr('x', (i) => x(start(i)) + 4)
      .attr('y', (i) => y(i.role || 'OWNERSHIP_ROLE_UNSPECIFIED') + y.bandwidth() / 2 + 4)
      .text((i) => {
        const label = i.label || ownerText(i.owner);
        const room = Math.floor((x(end(i)) - x(start(i)) - 8) / 6.5);
        return room < 4 ? '' : label.length > room ? label.slice(0, room - 1) + '…' : label;
      });
    return container;
  }

  function spendingChart(rows) {
    const container = h('div', { class: 'ml-chart', id: 'spending-chart' });
    const months = rows.filter((r) => r.month);
    if (!months.length || !window.d3) return container;
    const d3 = window.d3;
    const kinds = ['allocated', 'committed', 'incurred'];
    const width = Math.max(600, months.length * 60); const height = 300; const left = 90;
    const x = d3.scaleBand().domain(months.map((r) => r.month)).range([left, width - 10]).padding(0.2);
    const inner = d3.scaleBand().domain(kinds).range([0, x.bandwidth()]).padding(0.05);
    const top = d3.max(months, (r) => d3.max(kinds, (k) => Number(r[k] || 0))) || 1;
    const y = d3.scaleLinear().domain([0, top / 100]).nice().range([height - 30, 10]);
    const svg = d3.select(container).append('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('role', 'img')
      .attr('aria-label', 'Spending by month: allocated, committed and incurred');
    svg.append('g').attr('transform', `translate(0,${height - 30})`).call(d3.axisBottom(x));
    svg.append('g').attr('transform', `translate(${left},0)`).call(d3.axisLeft(y).ticks(6).tickFormat((v) => '£' + d3.format('~s')(v)));
    const groups = svg.selectAll('g.ml-month').data(months).enter().append('g').attr('class', 'ml-month')
      .attr('data-month', (r) => r.month).attr('transform', (r) => `translate(${x(r.month)},0)`);
    for (const kind of kinds) {
      groups.append('rect').attr('class', 'ml-bar ml-bar-' + kind).attr('data-kind', kind)
        .attr('data-amount', (r) => String(r[kind] || 0))
        .attr('x', inner(kind)).attr('width', inner.bandwidth())
        .attr('y', (r) => y(Number(r[kind] || 0) / 100)).attr('height', (r) => y(0) - y(Number(r[kind] || 0) / 100))
        .append('title').text((r) => `${r.month} ${kind}: ${pounds(r[kind])}`);
    }
    return [h('p', { class: 'govuk-body-s ml-legend' }, h('span', { class: 'ml-key-allocated' }), 'allocated ',
      h('span', { class: 'ml-key-committed' }), 'committed ', h('span', { class: 'ml-key-incurred' }), 'incurred'), container];
  }

  function sharesChart(id, label, shares) {
    const container = h('div', { class: 'ml-chart', id });
    if (!shares.length || !window.d3) return container;
    const d3 = window.d3;
    const width = 700; const rowHeight = 26; const left = 260;
    const height = shares.length * rowHeight + 30;
    const x = d3.scaleLinear().domain([0, 1]).range([left, width - 20]);
    const y = d3.scaleBand().domain(shares.map((s) => s.key)).range([0, height - 25]).padding(0.15);
    const svg = d3.select(container).append('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('role', 'img').attr('aria-label', label);
    svg.append('g').attr('transform', `translate(0,${height - 25})`).call(d3.axisBottom(x).ticks(5).tickFormat(d3.format('.0%')));
    svg.append('g').attr('transform', `translate(${left},0)`).call(d3.axisLeft(y));
    svg.selectAll('rect.ml-share').data(shares).enter().append('rect').attr('class', 'ml-share')
      .attr('x', left).attr('y', (s) => y(s.key)).attr('height', y.bandwidth()).attr('width', (s) => x(s.share || 0) - left)
      .append('title').text((s) => `${s.key}: ${s.decisions} decisions (${Math.round((s.share || 0) * 100)}%)`);
    return container;
  }

  async function missionPage(params) {
    const stream = params.get('stream') || '';
    const out = [h('h1', { class: 'govuk-heading-xl' }, 'A mission or programme'),
      form('/mission', [['stream', 'Mission stream', stream, 'For example, dhsc/mission/nhs']], 'Show')];
    if (!stream) return out;
    const options = queryOptions();
    const [history, locus, spending, concerns, over, washing] = await Promise.all([
      api('Inquiry/OwnershipHistory', { subject: stream, options }),
      api('Inquiry/DecisionLocus', { mission: stream, options }),
      api('Inquiry/Spending', { mission: stream, options }),
      api('Inquiry/Concerns', { about: stream, options }),
      api('Inquiry/DecisionsOverOpenConcerns', { subject: stream, options }),
      api('Inquiry/MissionWashing', { mission: stream, options }),
    ]);
    const intervals = history.intervals || [];
    // A post's name and who held it during each interval.
    const posts = [...new Set(intervals.map((i) => i.owner && i.owner.post && i.owner.post.stream).filter(Boolean))];
    const holders = new Map(await Promise.all(posts.map(async (post) =>
      [post, await api('Inquiry/PostHolders', { post, options }).catch(() => ({ holdings: [] }))])));
    for (const interval of intervals) {
      const post = interval.owner && interval.owner.post && holders.get(interval.owner.post.stream);
      if (!post) { interval.label = ownerText(interval.owner); continue; }
      const from = dateText(interval.from); const to = dateText(interval.to) || '9999-12-31';
      const names = (post.holdings || []).filter((p) => dateText(p.start) < to && (!p.end || !p.end.year || dateText(p.end) > from))
        .map((p) => p.person_name);
      interval.label = (post.post_name || interval.owner.post.stream) + (names.length ? ' — ' + [...new Set(names)].join(', ') : '');
    }
    const rows = spending.rows || [];
    out.push(h('h2', { class: 'govuk-heading-l' }, stream), link('/subject', { stream }, 'Timeline of every event about it'));
    out.push(h('h2', { class: 'govuk-heading-m' }, 'Who owned it'), ownershipChart(intervals),
      table('Ownership, interval by interval', ['Role', 'Owner', 'From', 'To', 'How', 'Events'],
        intervals.map((i) => row([(i.role || '').replace('OWNERSHIP_ROLE_', ''), [i.label || '', h('br', {}), link('/subject', { stream: ownerText(i.owner) }, ownerText(i.owner))], dateText(i.from), dateText(i.to) || 'now', [i.via || '', i.ended_by ? ', ended: ' + i.ended_by : ''], eventLinks(i.positions)]))),
      answeredAt(history.info));
    out.push(h('h2', { class: 'govuk-heading-m' }, 'Where its decisions were made'),
      h('p', { class: 'govuk-body' }, `${Number(locus.decisions || 0)} decisions.`),
      sharesChart('locus-level', 'Decisions by level', locus.by_level || []),
      sharesChart('locus-forum', 'Decisions by forum', locus.by_forum || []),
      sharesChart('locus-organisation', 'Decisions by organisation', locus.by_organisation || []));
    const totals = { allocated: 0, committed: 0, incurred: 0 };
    for (const r of rows.filter((r) => r.month)) for (const k of Object.keys(totals)) totals[k] += Number(r[k] || 0);
    out.push(h('h2', { class: 'govuk-heading-m' }, 'Spending by month'), spendingChart(rows),
      table('Spending, exact amounts', ['Month', 'Allocated', 'Committed', 'Incurred', 'Events'],
        rows.map((r) => row([r.month || 'Total ' + r.fiscal_year, pounds(r.allocated), pounds(r.committed), pounds(r.incurred), eventLinks(r.positions)],
          { 'data-month': r.month || '', 'data-total': r.month ? null : r.fiscal_year }))),
      h('p', { class: 'govuk-body', id: 'spending-totals', 'data-allocated': totals.allocated, 'data-committed': totals.committed, 'data-incurred': totals.incurred },
        `Over all months: allocated ${pounds(totals.allocated)}, committed ${pounds(totals.committed)}, incurred ${pounds(totals.incurred)}.`));
    const today = new Date().toISOString().slice(0, 10);
    out.push(h('h2', { class: 'govuk-heading-m' }, 'Concerns'),
      table('Concerns raised about it', ['Raised', 'Summary', 'Raised by', 'Raised to', 'Status', 'Respond by', 'Events'],
        concernRows(concerns.concerns || [], today)));
    out.push(h('h2', { class: 'govuk-heading-m' }, 'Decisions taken while a concern was open'),
      table('Decisions over open concerns', ['Decided', 'Decision', 'Open concerns', 'Events'],
        (over.decisions || []).map((d) => row([dateText(d.decision.decided_on), d.decision.title,
          (d.open_concerns || []).map((c) => c.summary).join('; '), eventLinks(d.decision.positions)], { class: 'govuk-table__row ml-highlight' }))));
    out.push(h('h2', { class: 'govuk-heading-m' }, 'Contribution claims with nothing behind them'),
      h('p', { class: 'govuk-body' }, `${(washing.unbacked || []).length} of ${washing.claims || 0} standing claims have no evidence, decision or spending behind them.`),
      table('Unbacked claims', ['By', 'Claim', 'Since', 'Events'],
        (washing.unbacked || []).map((c) => row([c.by, c.claim, dateText(c.valid_from), eventLinks(c.positions)]))));
    return out;
  }

  function concernRows(concerns, overdueOn) {
    return concerns.map((c) => {
      const overdue = c.status === 'open' && c.respond_by && dateText(c.respond_by) < overdueOn;
      return row([dateText(c.raised_on), link('/subject', { stream: c.concern }, c.summary || c.concern),
        c.sealed ? tag('sealed', 'grey') : ownerText(c.raised_by), (c.raised_to || []).map(ownerText).join(', '),
        [tag(c.status, c.status === 'open' ? 'red' : 'green'), overdue ? [' ', tag('overdue', 'orange')] : ''],
        dateText(c.respond_by), eventLinks(c.positions)], overdue ? { 'data-overdue': 'true' } : {});
    });
  }

  async function spendingPage(params) {
    const fields = [['organisation', 'Recorded by (stream prefix)', params.get('organisation'), 'For example, hmt'],
      ['fiscal_year', 'Fiscal year', params.get('fiscal_year'), 'For example, 2023-24'],
      ['mission', 'Mission stream', params.get('mission'), 'Optional, for example dhsc/mission/nhs'],
      ['supplier', 'Supplier, exactly as recorded', params.get('supplier'), 'Optional']];
    const out = [h('h1', { class: 'govuk-heading-xl' }, 'Spending'), form('/spending', fields, 'Show spending')];
    if (![...params.keys()].some((k) => k !== 'as_of')) return out;
    const answer = await api('Inquiry/Spending', { organisation: params.get('organisation') || '', fiscal_year: params.get('fiscal_year') || '',
      mission: params.get('mission') || '', supplier: params.get('supplier') || '', options: queryOptions() });
    const rows = answer.rows || [];
    out.push(h('h2', { class: 'govuk-heading-m' }, 'By month'), spendingChart(rows),
      table('Spending, exact amounts', ['Month', 'Allocated', 'Committed', 'Incurred', 'Events'],
        rows.map((r) => row([r.month || 'Total ' + r.fiscal_year, pounds(r.allocated), pounds(r.committed), pounds(r.incurred), eventLinks(r.positions)],
          { 'data-month': r.month || '', 'data-total': r.month ? null : r.fiscal_year }))),
      answeredAt(answer.info));
    return out;
  }

  async function concernsPage(params) {
    const fields = [['status', 'Status', params.get('status'), 'open, closed, or empty for all'],
      ['overdue_on', 'Overdue on', params.get('overdue_on'), 'YYYY-MM-DD: open concerns whose response was due before then'],
      ['about', 'About (stream)', params.get('about'), 'Optional'], ['raised_to', 'Raised or escalated to (stream)', params.get('raised_to'), 'Optional']];
    const out = [h('h1', { class: 'govuk-heading-xl' }, 'Concerns'), form('/concerns', fields, 'Show concerns')];
    if (![...params.keys()].some((k) => k !== 'as_of')) return out;
    const overdueOn = params.get('overdue_on') || '';
    const answer = await api('Inquiry/Concerns', { status: params.get('status') || '', about: params.get('about') || '',
      raised_to: params.get('raised_to') || '', overdue_on: overdueOn ? parseDate(overdueOn) : undefined, options: queryOptions() });
    out.push(table(`${(answer.concerns || []).length} concerns`, ['Raised', 'Summary', 'Raised by', 'Raised to', 'Status', 'Respond by', 'Events'],
      concernRows(answer.concerns || [], overdueOn || new Date().toISOString().slice(0, 10))), answeredAt(answer.info));
    return out;
  }

  // The protobuf wire format, enough to read a domain event's fields:
  // field number -> list of values (varints as numbers, length-delimited
  // fields as bytes).
  function protoFields(data) {
    const fields = new Map();
    let i = 0;
    const varint = () => { let value = 0; let shift = 1; for (;;) { const b = data[i++]; value += (b & 0x7f) * shift; if (b < 0x80) return value; shift *= 128; } };
    while (i < data.length) {
      const key = varint(); const field = Math.floor(key / 8); const wire = key % 8;
      let value;
      if (wire === 0) value = varint();
      else if (wire === 2) { const n = varint(); value = data.slice(i, i + n); i += n; } else if (wire === 5) { i += 4; continue; } else if (wire === 1) { i += 8; continue; } else break;
      if (!fields.has(field)) fields.set(field, []);
      fields.get(field).push(value);
    }
    return fields;
  }
  const protoString = (value) => (value ? new TextDecoder().decode(value) : '');
  function protoDate(value) {
    if (!value) return null;
    const f = protoFields(value);
    return { year: (f.get(1) || [0])[0], month: (f.get(2) || [0])[0], day: (f.get(3) || [0])[0] };
  }

  // A person's appointments, from the appointment streams in their
  // timeline: post, start and end (AppointmentMade, AppointmentEnded).
  async function appointmentsOf(timeline) {
    const streams = [...new Set((timeline.entries || []).map((e) => e.stream).filter((s) => /\/appointment\//.test(s)))].slice(0, 60);
    const held = await Promise.all(streams.map(async (appointment) => {
      const read = await api('EventStore/Read', { stream: { stream: appointment, from_version: '0' }, limit: '50' });
      const events = (read.responses || []).flatMap((r) => r.events || []);
      const made = events.find((e) => e.type === 'missionlog.appointment.made.v1');
      if (!made) return null;
      const fields = protoFields(bytes(made.data));
      const post = protoString(((protoFields((fields.get(2) || [])[0] || new Uint8Array())).get(1) || [])[0]);
      let end = protoDate((fields.get(4) || [])[0]);
      const ended = events.find((e) => e.type === 'missionlog.appointment.ended.v1');
      if (ended) end = protoDate((protoFields(bytes(ended.data)).get(1) || [])[0]);
      return { appointment, post, start: protoDate((fields.get(3) || [])[0]), end, positions: events.map((e) => e.position || 0) };
    }));
    const list = held.filter(Boolean).sort((a, b) => dateText(a.start).localeCompare(dateText(b.start)));
    const names = new Map(await Promise.all([...new Set(list.map((a) => a.post))].map(async (post) =>
      [post, (await api('Inquiry/PostHolders', { post }).catch(() => ({}))).post_name || post])));
    for (const a of list) a.postName = names.get(a.post);
    return list;
  }

  function postsChart(appointments) {
    const container = h('div', { class: 'ml-chart', id: 'posts-chart' });
    if (!appointments.length || !window.d3) return container;
    const d3 = window.d3;
    const today = new Date();
    const start = (a) => new Date(dateText(a.start) || today);
    const end = (a) => (a.end && a.end.year ? new Date(dateText(a.end)) : today);
    const posts = [...new Set(appointments.map((a) => a.postName))];
    const width = 900; const left = 300; const height = posts.length * 30 + 40;
    const x = d3.scaleTime().domain([d3.min(appointments, start), d3.max(appointments, end)]).range([left, width - 20]);
    const y = d3.scaleBand().domain(posts).range([10, height - 30]).padding(0.2);
    const svg = d3.select(container).append('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('role', 'img')
      .attr('aria-label', 'Posts held over time');
    svg.append('g').attr('transform', `translate(0,${height - 30})`).call(d3.axisBottom(x).ticks(8));
    svg.append('g').attr('transform', `translate(${left},0)`).call(d3.axisLeft(y));
    svg.selectAll('rect.ml-interval').data(appointments).enter().append('rect').attr('class', 'ml-interval')
      .attr('x', (a) => x(start(a))).attr('width', (a) => Math.max(2, x(end(a)) - x(start(a))))
      .attr('y', (a) => y(a.postName)).attr('height', y.bandwidth())
      .append('title').text((a) => `${a.postName}: ${dateText(a.start)} to ${dateText(a.end) || 'now'}`);
    return container;
  }

  async function personPage(params) {
    const stream = params.get('stream') || '';
    const out = [h('h1', { class: 'govuk-heading-xl' }, 'A person'),
      form('/person', [['stream', 'Person stream', stream, 'For example, ifg/person/…']], 'Show')];
    if (!stream) return out;
    const options = queryOptions();
    const [timeline, told] = await Promise.all([
      api('Inquiry/Timeline', { subject: stream, options }),
      api('Inquiry/WhoWasTold', { person: stream, options }),
    ]);
    const appointments = await appointmentsOf(timeline);
    out.push(h('h2', { class: 'govuk-heading-l' }, stream),
      h('h2', { class: 'govuk-heading-m' }, 'Posts held over time'), postsChart(appointments),
      table('Posts held', ['Post', 'From', 'To', 'Events'],
        appointments.map((a) => row([link('/subject', { stream: a.post }, a.postName), dateText(a.start), dateText(a.end) || 'now',
          [eventLinks(a.positions), ' ', link('/subject', { stream: a.appointment }, 'appointment')]], { 'data-post': a.postName }))),
      table('What they were told', ['On', 'Concern', 'How', 'Status', 'Events'],
        (told.told || []).map((t) => row([dateText(t.on), t.concern ? t.concern.summary : '', t.how, t.concern ? t.concern.status : '', eventLinks(t.positions)]))));
    return out;
  }

  async function subjectPage(params) {
    const stream = params.get('stream') || '';
    const out = [h('h1', { class: 'govuk-heading-xl' }, 'Timeline of a subject'),
      form('/subject', [['stream', 'Subject stream', stream, 'Any stream: a mission, a post, a person, a decision…']], 'Show')];
    if (!stream) return out;
    const [answer, over] = await Promise.all([
      api('Inquiry/Timeline', { subject: stream, options: queryOptions() }),
      api('Inquiry/DecisionsOverOpenConcerns', { subject: stream, options: queryOptions() }),
    ]);
    out.push(table('Every event about ' + stream, ['Event', 'Stream', 'Type', 'Via'],
      (answer.entries || []).map((e) => row([link('/event', { position: e.position }, 'event ' + e.position), link('/subject', { stream: e.stream }, e.stream), e.type, e.via]))),
    answeredAt(answer.info),
    table('Decisions taken while a concern about it was open', ['Decided', 'Decision', 'Open concerns', 'Events'],
      (over.decisions || []).map((d) => row([dateText(d.decision.decided_on), link('/subject', { stream: d.decision.decision }, d.decision.title),
        (d.open_concerns || []).map((c) => c.summary).join('; '), eventLinks(d.decision.positions)], { class: 'govuk-table__row ml-highlight' }))));
    return out;
  }

  function eventRows(events) {
    return events.map((e) => row([link('/event', { position: e.position || 0 }, 'event ' + (e.position || 0)),
      (e.recorded_time || '').replace('T', ' ').replace(/\..*Z$/, 'Z'), e.subject, e.type, summary(e)]));
  }

  // A payload as text: a JSON payload's title, else its first characters.
  function summary(event) {
    try {
      const text = new TextDecoder().decode(Uint8Array.from(atob(event.data || ''), (c) => c.charCodeAt(0)));
      try {
        const json = JSON.parse(text);
        if (json && typeof json === 'object' && (json.title || json.summary || json.name)) return String(json.title || json.summary || json.name);
      } catch (_) { /* not JSON */ }
      return text.slice(0, 120);
    } catch (_) {
      return '';
    }
  }

  async function searchPage(params) {
    const fields = [['stream_prefix', 'Stream starts with', params.get('stream_prefix'), 'For example, dhsc/'],
      ['type_prefix', 'Event type starts with', params.get('type_prefix'), 'For example, missionlog.decision'],
      ['from', 'Recorded on or after', params.get('from'), 'YYYY-MM-DD'], ['to', 'Recorded before', params.get('to'), 'YYYY-MM-DD'],
      ['position', 'From position', params.get('position'), 'Optional']];
    const out = [h('h1', { class: 'govuk-heading-xl' }, 'Search the events'), form('/search', fields, 'Search')];
    if (![...params.keys()].some((k) => k !== 'as_of')) return out;
    const answer = await api('EventStore/Read', { all: { from_position: params.get('position') || '0', filter: { stream_prefix: params.get('stream_prefix') || '', type_prefix: params.get('type_prefix') || '' } }, limit: '500' });
    let events = (answer.responses || []).flatMap((r) => r.events || []);
    const from = params.get('from'); const to = params.get('to');
    if (from) events = events.filter((e) => (e.recorded_time || '') >= from);
    if (to) events = events.filter((e) => (e.recorded_time || '') < to);
    out.push(table(`${events.length} events (first 500 matching by stream and type)`, ['Event', 'Recorded (UTC)', 'Stream', 'Type', 'Summary'], eventRows(events)));
    return out;
  }

  let liveSource = null;
  async function livePage() {
    const body = h('tbody', { class: 'govuk-table__body', id: 'live-events' });
    const state = h('p', { class: 'govuk-body', id: 'live-state' }, 'Connecting…');
    const source = new EventSource('/api/v1/live?from=now');
    liveSource = source;
    source.addEventListener('event', (message) => {
      const event = JSON.parse(message.data);
      body.prepend(eventRows([event])[0]);
      while (body.children.length > 200) body.lastChild.remove();
    });
    source.addEventListener('caught_up', () => { state.textContent = 'Showing events as they are recorded.'; });
    source.onerror = () => { state.textContent = 'The live view is not connected (the server may ask for a token, or be busy); it retries by itself.'; };
    return [h('h1', { class: 'govuk-heading-xl' }, 'Live'), state,
      h('table', { class: 'govuk-table' }, h('caption', { class: 'govuk-table__caption govuk-table__caption--m' }, 'New events, newest first'),
        h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
          ['Event', 'Recorded (UTC)', 'Stream', 'Type', 'Summary'].map((c) => h('th', { scope: 'col', class: 'govuk-table__header' }, c)))), body)];
  }

  async function eventPage(params) {
    const position = params.get('position') || '0';
    const answer = await api('EventStore/Read', { all: { from_position: position }, limit: '1' });
    const event = ((answer.responses || [])[0] || {}).events ? answer.responses[0].events[0] : null;
    if (!event || String(event.position || 0) !== String(position)) {
      return [h('h1', { class: 'govuk-heading-xl' }, 'Event ' + position), showError({ code: 'NOT_FOUND', message: 'no event at this position' })];
    }
    let payload = '';
    try { payload = new TextDecoder().decode(Uint8Array.from(atob(event.data || ''), (c) => c.charCodeAt(0))); } catch (_) { payload = ''; }
    const list = (pairs) => h('dl', { class: 'govuk-summary-list' }, pairs.map(([k, v]) => h('div', { class: 'govuk-summary-list__row' },
      h('dt', { class: 'govuk-summary-list__key' }, k), h('dd', { class: 'govuk-summary-list__value' }, v))));
    return [h('h1', { class: 'govuk-heading-xl' }, 'Event ' + position),
      list([['Stream', link('/subject', { stream: event.subject }, event.subject)], ['Version in stream', event.stream_version || '0'], ['Type', event.type],
        ['Id', event.id], ['Recorded', event.recorded_time || ''], ['Recorded by', event.recorded_by || ''], ['Happened', event.time || ''],
        ['Source', event.source || ''], ['Content type', event.datacontenttype || '']]),
      h('h2', { class: 'govuk-heading-m' }, 'Payload'), h('pre', { class: 'ml-pre', id: 'payload' }, payload),
      h('p', { class: 'govuk-body' }, link('/audit', { position }, 'Check this event against the signed checkpoint'))];
  }

  // --- Audit: proofs checked in this browser -------------------------------

  const bytes = (base64) => Uint8Array.from(atob(base64 || ''), (c) => c.charCodeAt(0));
  const hex = (array) => [...array].map((b) => b.toString(16).padStart(2, '0')).join('');
  const concat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let i = 0; for (const p of parts) { out.set(p, i); i += p.length; } return out; };
  const sha256 = async (data) => new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  // RFC 9162 2.1.3.2: the root from a leaf hash and its inclusion path.
  async function rootFromInclusion(index, size, leaf, path) {
    if (index >= size) throw new Error('the position is not in the tree');
    let fn = index; let sn = size - 1; let r = leaf;
    for (const p of path) {
      if (sn === 0) throw new Error('the proof is longer than the tree');
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error('the proof is shorter than the tree');
    return r;
  }

  // RFC 9162 2.1.4.2: consistency between two tree heads.
  async function verifyConsistency(first, second, oldRoot, newRoot, path) {
    if (first === second) return path.length === 0 && equal(oldRoot, newRoot);
    if (first === 0 || first > second) return false;
    let proof = path.slice();
    if ((first & (first - 1)) === 0) proof = [oldRoot].concat(proof);
    let fn = first - 1; let sn = second - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    if (!proof.length) return false;
    let fr = proof[0]; let sr = proof[0];
    for (const c of proof.slice(1)) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr); sr = await nodeHash(c, sr);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(fr, oldRoot) && equal(sr, newRoot);
  }

  // A C2SP checkpoint note: its text, origin, size, root and signature lines.
  function parseNote(note) {
    const split = note.lastIndexOf('\n\n');
    const text = note.slice(0, split + 1);
    const lines = text.split('\n');
    const signatures = note.slice(split + 2).split('\n').filter(Boolean).map((line) => {
      const m = /^— (\S+) (\S+)$/.exec(line);
      if (!m) return null;
      const raw = bytes(m[2]);
      return { name: m[1], keyId: hex(raw.slice(0, 4)), signature: raw.slice(4) };
    }).filter(Boolean);
    return { text, origin: lines[0], size: Number(lines[1]), root: bytes(lines[2]), signatures };
  }

  // A verifier key "name+keyid+base64(0x01 || key)": Ed25519, checked in
  // the browser (WebCrypto).
  async function verifyNote(parsed, verifierKey) {
    // The base64 part may itself hold '+'.
    const m = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(verifierKey.trim());
    if (!m) throw new Error('a public key looks like name+hash+base64');
    const [, name, keyId, encoded] = m;
    const raw = bytes(encoded);
    if (raw.length !== 33 || raw[0] !== 1) throw new Error('not an Ed25519 public key');
    const computedId = hex((await sha256(concat(new TextEncoder().encode(name + '\n'), raw))).slice(0, 4));
    if (computedId !== keyId) throw new Error('the key id does not match the key');
    const signature = parsed.signatures.find((s) => s.name === name && s.keyId === keyId);
    if (!signature) throw new Error('the checkpoint carries no signature by this key');
    const key = await crypto.subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, signature.signature, new TextEncoder().encode(parsed.text));
    if (!ok) throw new Error('the signature does not verify');
    return name;
  }

  function result(id, ok, text) {
    return h('div', { class: ok ? 'ml-result-ok' : 'ml-result-failed', id, 'data-result': ok ? 'ok' : 'failed', role: 'status' },
      h('p', { class: 'govuk-body govuk-!-font-weight-bold' }, text));
  }

  async function auditPage(params) {
    const position = params.get('position') || '';
    const pinned = localStorage.getItem('missionlog-public-key') || '';
    const out = [h('h1', { class: 'govuk-heading-xl' }, 'Audit'),
      h('p', { class: 'govuk-body' }, 'This page checks, in your browser, that an event is in the tree the server signed, that the signature is by the key you trust, and that the tree only grew since the last checkpoint this browser saw. It trusts nothing the server computed.'),
      form('/audit', [['position', 'Event position', position, 'The event to check'], ['key', 'Public key of the log', params.get('key') || pinned, 'For example, the contents of missionlog-data/log.pub; remembered in this browser']], 'Check')];
    const answer = await api('Audit/GetCheckpoint', {});
    const note = parseNote(answer.note || '');
    out.push(h('h2', { class: 'govuk-heading-m' }, 'The latest signed checkpoint'),
      h('pre', { class: 'ml-pre', id: 'checkpoint-note' }, answer.note || ''),
      h('p', { class: 'govuk-body' }, `${note.size} events; ${note.signatures.length} signature${note.signatures.length === 1 ? '' : 's'}: `,
        note.signatures.map((s, i) => [i ? ', ' : '', `${s.name} (key ${s.keyId})`])));
    const key = params.get('key') || pinned;
    if (key) {
      try {
        const name = await verifyNote(note, key);
        localStorage.setItem('missionlog-public-key', key);
        out.push(result('signature-result', true, `The checkpoint is signed by ${name}'s key.`));
      } catch (error) {
        out.push(result('signature-result', false, 'Signature check failed: ' + error.message));
      }
    }
    // Consistency with the checkpoint this browser saw last.
    const seen = JSON.parse(localStorage.getItem('missionlog-last-checkpoint') || 'null');
    if (seen && seen.size > 0 && seen.size <= note.size) {
      try {
        const proof = seen.size === note.size ? { hashes: [] } : await api('Audit/GetConsistencyProof', { old_size: String(seen.size), new_size: String(note.size) });
        const ok = await verifyConsistency(seen.size, note.size, bytes(seen.root), note.root, (proof.hashes || []).map(bytes));
        out.push(result('consistency-result', ok, ok ? `Consistent with the checkpoint of ${seen.size} events this browser saw before.`
          : `NOT consistent with the checkpoint of ${seen.size} events this browser saw before: the history was rewritten.`));
      } catch (error) {
        out.push(result('consistency-result', false, 'Consistency check failed: ' + error.message));
      }
    }
    if (note.size) localStorage.setItem('missionlog-last-checkpoint', JSON.stringify({ size: note.size, root: answer.note.split('\n')[2] }));
    if (position !== '') {
      out.push(h('h2', { class: 'govuk-heading-m' }, 'Event ' + position));
      try {
        const index = Number(position);
        const entries = await api('Audit/GetEntries', { from: position, count: '1' });
        const entry = ((entries.responses || [])[0] || {}).entries ? entries.responses[0].entries[0] : null;
        if (!entry) throw new Error('the server sent no entry at this position');
        const header = bytes(entry.header);
        const leaf = await sha256(concat(Uint8Array.of(0), header));
        if (!equal(leaf, bytes(entry.leaf_hash))) throw new Error('the leaf hash does not match the header');
        // Format 1: SHA-256(payload); format 2: SHA-256 of a tag, the salt
        // and the payload (proto/missionlog/v1/audit.proto). An erased
        // payload leaves the header to prove.
        let payloadNote = 'payload digest recomputed';
        if (entry.data_erased) {
          payloadNote = 'payload lawfully erased (the header stays proved)';
        } else {
          const data = bytes(entry.data || '');
          const salt = bytes(entry.data_salt || '');
          const tag = new TextEncoder().encode('missionlog/payload/v2\0');
          const payloadDigest = header[0] === 2 ? await sha256(concat(tag, salt, data)) : await sha256(data);
          if (!equal(payloadDigest, header.slice(54, 86))) throw new Error("the payload's digest is not the one in the header");
        }
        if (index >= note.size) throw new Error(`the latest checkpoint covers ${note.size} events; this one is not in it yet`);
        const proof = await api('Audit/GetInclusionProof', { position: String(index), tree_size: String(note.size) });
        const root = await rootFromInclusion(index, note.size, leaf, (proof.hashes || []).map(bytes));
        if (!equal(root, note.root)) throw new Error("the inclusion proof does not lead to the checkpoint's root");
        out.push(result('proof-result', true, `Event ${index} is in the signed tree of ${note.size} events: leaf hash and ${payloadNote}, ${(proof.hashes || []).length}-hash inclusion proof checked against the checkpoint's root.`));
      } catch (error) {
        out.push(result('proof-result', false, 'Proof check failed: ' + error.message));
      }
    }
    return out;
  }

  // --- Router ----------------------------------------------------------------

  const pages = {
    '/': homePage, '/government': governmentPage, '/mission': missionPage, '/person': personPage,
    '/subject': subjectPage, '/search': searchPage, '/spending': spendingPage, '/concerns': concernsPage, '/live': livePage, '/event': eventPage, '/audit': auditPage,
  };

  async function render() {
    if (liveSource) { liveSource.close(); liveSource = null; }
    const { path, params } = route();
    const asOf = params.get('as_of');
    document.getElementById('as-of-banner').textContent = asOf
      ? `Showing the record as it stood when it held ${asOf} events (positions 0 to ${Number(asOf) - 1}).`
      : 'Showing the record as it stands now.';
    const target = page();
    target.setAttribute('aria-busy', 'true');
    let content;
    try {
      content = await (pages[path] || homePage)(params);
    } catch (error) {
      content = [h('h1', { class: 'govuk-heading-xl' }, 'Something went wrong'), showError(error)];
    }
    target.replaceChildren(...[content].flat(3).filter((c) => c !== '' && c !== null && c !== undefined));
    target.setAttribute('aria-busy', 'false');
    target.setAttribute('data-page', path);
  }

  document.body.classList.add('govuk-frontend-supported');
  window.addEventListener('hashchange', render);
  render();
})();
