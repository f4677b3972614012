// The terminal page: xterm.js on a websocket to the gateway. Output and
// input are binary frames; control messages are JSON text frames (see
// services/gateway/terminal/bridge.go). The session id is kept in
// localStorage, so a reload or a second tab reattaches to the same shell and
// replays its recent output; a dropped connection reattaches with the byte
// offset already shown, so nothing is printed twice.
(function () {
  'use strict';
  var el = document.getElementById('terminal');
  var statusEl = document.getElementById('term-status');
  var closeBtn = document.getElementById('term-close');
  var name = el.dataset.container;
  var owner = el.dataset.owner || '';
  var key = 'dol-terminal:' + owner + ':' + name;

  Terminal.applyAddon(XtermFit);
  // The DOM renderer keeps the screen readable by tests and screen readers.
  var term = new Terminal({ rendererType: 'dom', cursorBlink: true, scrollback: 5000 });
  term.open(el);
  term.fit();
  window.dolTerminal = term;

  var encoder = new TextEncoder();
  var decoder = new TextDecoder('utf-8');
  var ws = null;
  var session = localStorage.getItem(key);
  var offset = -1; // output bytes shown so far; -1: a fresh screen
  var hello = false;
  var ended = false;
  var retries = 0;

  function setStatus(s) { statusEl.textContent = s; }

  function url() {
    var u = new URL('/api/v1/containers/' + encodeURIComponent(name) + '/terminal', location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('rows', term.rows);
    u.searchParams.set('cols', term.cols);
    if (owner) u.searchParams.set('owner', owner);
    if (session) {
      u.searchParams.set('session', session);
      if (offset >= 0) u.searchParams.set('offset', offset);
    }
    return u.toString();
  }

  function connect() {
    hello = false;
    var attaching = !!session;
    ws = new WebSocket(url());
    ws.binaryType = 'arraybuffer';
    ws.onmessage = function (ev) {
      if (typeof ev.data === 'string') { control(JSON.parse(ev.data)); return; }
      var bytes = new Uint8Array(ev.data);
      offset += bytes.length;
      term.write(decoder.decode(bytes, { stream: true }));
    };
    ws.onclose = function () {
      if (ended) return;
      if (!hello && attaching) {
        // The stored session has ended: start a new one on a clean screen.
        session = null;
        localStorage.removeItem(key);
        if (offset >= 0) term.write('\r\n\x1b[33m[the session ended; starting a new one]\x1b[0m\r\n');
        offset = -1;
        decoder = new TextDecoder('utf-8');
        setTimeout(connect, 200);
        return;
      }
      retries++;
      setStatus('disconnected; reconnecting…');
      setTimeout(connect, Math.min(30000, 250 * Math.pow(2, Math.min(retries, 7))));
    };
  }

  function control(m) {
    switch (m.type) {
    case 'hello':
      hello = true;
      retries = 0;
      session = m.session;
      localStorage.setItem(key, session);
      offset = m.offset;
      setStatus('connected');
      break;
    case 'replayed':
      // The replay had terminal queries removed; live output starts here.
      offset = m.offset;
      break;
    case 'skipped':
      term.write('\r\n\x1b[33m[' + (m.to - m.from) + ' bytes of output skipped]\x1b[0m\r\n');
      offset = m.to;
      decoder = new TextDecoder('utf-8');
      break;
    case 'exit':
      ended = true;
      localStorage.removeItem(key);
      setStatus('session ended: ' + m.reason + (m.code ? ' (exit code ' + m.code + ')' : ''));
      term.write('\r\n\x1b[33m[session ended]\x1b[0m\r\n');
      closeBtn.textContent = 'New session';
      break;
    case 'error':
      setStatus(m.message);
      break;
    }
  }

  term.on('data', function (d) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(d));
  });
  term.on('resize', function (s) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', rows: s.rows, cols: s.cols }));
  });
  window.addEventListener('resize', function () { term.fit(); });
  closeBtn.addEventListener('click', function () {
    if (ended) {
      ended = false;
      session = null;
      offset = -1;
      decoder = new TextDecoder('utf-8');
      term.reset();
      closeBtn.textContent = 'End session';
      connect();
    } else if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: 'close' }));
    }
    term.focus();
  });
  connect();
  term.focus();
})();
