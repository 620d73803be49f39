// The dashboard's script, served as /dashboard/assets/dashboard.js (the CSP allows no inline
// script). Kept as plain ES2017 text: bundling a function's source would let wrangler's
// keepNames helpers leak into it. It only enhances: copy buttons, and the verify views' rows
// re-fetched every 3 s and rebuilt with DOM calls and textContent (never innerHTML: every cell
// is shop or visitor data).
export const DASHBOARD_JS = `(function () {
  'use strict';
  var PERIOD_MS = 3000;

  function flash(button, text) {
    button.textContent = text;
    setTimeout(function () { button.textContent = 'Copy'; }, 1500);
  }

  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    if (!navigator.clipboard) return; // http on another host than localhost: select the text instead
    button.hidden = false;
    button.addEventListener('click', function () {
      var source = document.getElementById(button.getAttribute('data-copy'));
      if (!source) return;
      navigator.clipboard.writeText(source.textContent).then(
        function () { flash(button, 'Copied'); },
        function () { flash(button, 'Select and copy'); });
    });
  });

  document.querySelectorAll('table[data-live]').forEach(function (table) {
    var view = table.closest('[data-view]');
    var status = view.querySelector('[data-live-status]');
    var empty = view.querySelector('[data-empty]');
    var filter = document.querySelector('[data-filter-for="' + table.id + '"]');
    var busy = false;
    var stopped = false;

    function url() {
      var u = new URL(table.getAttribute('data-live'), location.href);
      var q = filter ? filter.value.trim() : '';
      if (q) u.searchParams.set('q', q);
      return u;
    }

    function render(data) {
      var body = document.createElement('tbody');
      data.rows.forEach(function (cells) {
        var tr = document.createElement('tr');
        cells.forEach(function (text, i) {
          var column = data.columns[i];
          var td = document.createElement('td');
          td.setAttribute('data-label', column.label);
          td.className = 'c-' + column.key;
          if (column.badge) td.setAttribute('data-v', text);
          td.textContent = text;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      table.replaceChild(body, table.tBodies[0]);
      empty.hidden = data.rows.length > 0;
      status.textContent = data.rows.length + ' shown · live, updated ' + new Date().toISOString().slice(11, 19) + ' UTC';
    }

    function refresh() {
      if (busy || stopped || document.hidden) return;
      busy = true;
      fetch(url(), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (res) {
          if (res.status === 401 || res.status === 404 || res.status === 410) {
            stopped = true;
            status.textContent = res.status === 401 ? 'Your session has ended: reload the page to log in again.' : 'This link no longer works.';
            return null;
          }
          if (!res.ok) throw new Error('HTTP ' + res.status);
          return res.json();
        })
        .then(function (data) { if (data) render(data); })
        .catch(function () { status.textContent = 'Could not refresh; trying again…'; })
        .then(function () { busy = false; });
    }

    setInterval(refresh, PERIOD_MS);
    document.addEventListener('visibilitychange', refresh);
    if (filter) {
      var typing;
      filter.addEventListener('input', function () {
        clearTimeout(typing);
        typing = setTimeout(function () {
          var here = new URL(location.href);
          if (filter.value.trim()) here.searchParams.set('q', filter.value.trim());
          else here.searchParams.delete('q');
          history.replaceState(null, '', here);
          refresh();
        }, 250);
      });
    }
    table.setAttribute('data-live-on', '');
  });
})();
`;
