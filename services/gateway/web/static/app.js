// Docker Online — the UI's only script. Every page works without it; it adds
// the theme switch, confirmation dialogs, inline validation, live updates
// (server-sent events, or polling where they are not available) and the
// logs view. Loaded from the page head: the theme is applied before the
// first paint, everything else waits for the document.
"use strict";

(function () {
  var THEME_KEY = "dol-theme";
  var root = document.documentElement;

  function storedTheme() {
    try { return localStorage.getItem(THEME_KEY) || "auto"; } catch (e) { return "auto"; }
  }
  function applyTheme(t) {
    if (t === "light" || t === "dark") root.dataset.theme = t; else delete root.dataset.theme;
  }
  applyTheme(storedTheme());

  document.addEventListener("DOMContentLoaded", function () {
    themeButtons();
    focusAlerts();
    liveRegions();
    logs();
    pulls();
    jobs();
    stackVars();
    document.addEventListener("submit", onSubmit);
    document.addEventListener("input", onFieldEdit);
    document.addEventListener("focusout", onFieldLeave);
    // A page restored from the back/forward cache must not keep a busy button.
    window.addEventListener("pageshow", function (e) { if (e.persisted) resetBusy(); });
    document.querySelectorAll("form[data-validate]").forEach(function (f) { f.noValidate = true; });
  });

  // ---- Theme: automatic (follows the system) → dark → light → automatic.
  var themeNames = { auto: "Auto", dark: "Dark", light: "Light" };
  function themeButtons() {
    document.querySelectorAll("[data-theme-toggle]").forEach(function (b) {
      label(b, storedTheme());
      b.addEventListener("click", function () {
        var next = { auto: "dark", dark: "light", light: "auto" }[storedTheme()] || "auto";
        try { if (next === "auto") localStorage.removeItem(THEME_KEY); else localStorage.setItem(THEME_KEY, next); } catch (e) { /* private mode: this page only */ }
        applyTheme(next);
        document.querySelectorAll("[data-theme-toggle]").forEach(function (x) { label(x, next); });
      });
    });
    function label(b, t) {
      b.setAttribute("aria-label", "Colour theme: " + themeNames[t].toLowerCase() + ". Change");
      var l = b.querySelector(".theme-label");
      if (l) l.textContent = themeNames[t];
    }
  }

  // ---- Errors shown by the server get the focus, so they are read first.
  function focusAlerts() {
    var a = document.querySelector("[data-focus]");
    if (a) a.focus();
  }

  // ---- Forms: validate, confirm, then show progress.
  function onSubmit(e) {
    var form = e.target;
    if (form.dataset.submitting) { e.preventDefault(); return; }
    // A button with formnovalidate ("List variables") submits as typed.
    var novalidate = e.submitter && e.submitter.formNoValidate;
    if (form.hasAttribute("data-validate") && !novalidate && !validateForm(form)) { e.preventDefault(); return; }
    if (form.dataset.confirm && form.dataset.confirmed !== "yes" && confirmFirst(form)) { e.preventDefault(); return; }
    form.dataset.submitting = "1";
    var b = form.querySelector("button[data-busy]");
    if (b) {
      b.dataset.label = b.innerHTML;
      b.setAttribute("aria-busy", "true");
      b.textContent = b.dataset.busy;
    }
  }

  function resetBusy() {
    document.querySelectorAll("form[data-submitting]").forEach(function (f) { delete f.dataset.submitting; });
    document.querySelectorAll("button[aria-busy]").forEach(function (b) {
      if (b.dataset.label) b.innerHTML = b.dataset.label;
      b.removeAttribute("aria-busy");
    });
  }

  // confirmFirst opens the confirmation dialog; it returns false where
  // there is no dialog support, and the server then asks on a page of its own.
  function confirmFirst(form) {
    var dlg = document.getElementById("confirm-dialog");
    if (!dlg || typeof dlg.showModal !== "function") return false;
    document.getElementById("confirm-text").textContent = form.dataset.confirm;
    document.getElementById("confirm-ok").textContent = form.dataset.confirmButton || "Confirm";
    dlg.returnValue = "";
    var action = form.getAttribute("action");
    dlg.addEventListener("close", function () {
      if (dlg.returnValue !== "ok") return;
      // A live update may have replaced the form while the dialog was open.
      if (!form.isConnected) form = document.querySelector('form[action="' + action + '"]') || form;
      var h = document.createElement("input");
      h.type = "hidden"; h.name = "confirmed"; h.value = "yes";
      form.appendChild(h);
      form.dataset.confirmed = "yes";
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }, { once: true });
    dlg.showModal();
    return true;
  }

  // ---- Inline validation: the browser's constraints (which mirror the
  // platform's rules), shown next to the field in words.
  function validateForm(form) {
    var first = null;
    form.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!showValidity(el) && !first) first = el;
    });
    if (first) first.focus();
    return !first;
  }

  function showValidity(el) {
    if (!el.willValidate || !el.id) return true;
    var out = document.getElementById(el.id + "-error");
    var ok = el.checkValidity();
    if (ok) {
      if (el.dataset.clientError) { el.removeAttribute("aria-invalid"); if (out) out.textContent = ""; delete el.dataset.clientError; }
      return true;
    }
    var m = el.validationMessage;
    if (el.validity.patternMismatch && el.dataset.invalidMessage) m = el.dataset.invalidMessage;
    if (el.validity.valueMissing) m = "This field is required.";
    el.setAttribute("aria-invalid", "true");
    el.dataset.clientError = "1";
    if (out) out.textContent = m;
    return false;
  }

  // Editing a field clears the server's complaint about it: it was about
  // the old value. Leaving a field checks the new one.
  function onFieldEdit(e) {
    var el = e.target;
    if (!el.id || el.getAttribute("aria-invalid") !== "true") return;
    if (el.dataset.clientError) { showValidity(el); return; }
    el.removeAttribute("aria-invalid");
    var out = document.getElementById(el.id + "-error");
    if (out) out.textContent = "";
  }
  function onFieldLeave(e) {
    var el = e.target;
    if (el.form && el.form.hasAttribute("data-validate") && el.value !== "") showValidity(el);
  }

  // ---- Live regions: blocks marked data-refresh="<fragment URL>" are
  // fetched again whenever an event says something changed.
  function liveRegions() {
    var els = Array.prototype.slice.call(document.querySelectorAll("[data-refresh]"));
    if (!els.length) return;
    var before = states();
    var busy = false, again = false, timer = 0;

    function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 150); }

    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      Promise.all(els.map(update)).finally(function () {
        busy = false;
        announce(before, before = states());
        if (again) { again = false; schedule(); }
      });
    }

    function update(el) {
      // Never swap the page under an open dialog: its form would go away.
      var dlg = document.getElementById("confirm-dialog");
      if (dlg && dlg.open) { again = true; return Promise.resolve(); }
      return fetch(el.dataset.refresh, { headers: { "X-Fragment": "1", "Accept": "text/html" }, credentials: "same-origin", cache: "no-store" })
        .then(function (res) {
          if (res.status === 401) { location.assign("/login"); return; }
          if (res.status === 404) { gone(el); return; }
          if (!res.ok) return;
          return res.text().then(function (html) {
            // Compare as the browser serializes both, so an unchanged block
            // is left alone (focus, selection and clicks stay put).
            var next = document.createElement("template");
            next.innerHTML = html;
            if (next.innerHTML === el.innerHTML) return;
            var keep = focusKey(el);
            el.replaceChildren(next.content);
            if (keep) { var f = el.querySelector(keep); if (f) f.focus(); }
          });
        })
        .catch(function () { /* offline for a moment: the next event retries */ });
    }

    subscribe(schedule);
    // Something on this page says it changed the lists (a pull finished).
    document.addEventListener("dol:changed", schedule);
  }

  // A container deleted elsewhere: say so instead of showing stale buttons.
  function gone(el) {
    if (el.dataset.gone) return;
    el.dataset.gone = "1";
    el.textContent = "";
    var p = document.createElement("p");
    p.className = "alert";
    p.setAttribute("role", "status");
    p.textContent = "This container no longer exists. ";
    var a = document.createElement("a");
    a.href = "/containers"; a.textContent = "Back to your containers";
    p.appendChild(a);
    el.appendChild(p);
  }

  // focusKey finds the focused control again after a block is replaced.
  function focusKey(el) {
    var a = document.activeElement;
    if (!a || !el.contains(a)) return "";
    if (a.form && a.form.getAttribute("action")) return 'form[action="' + a.form.getAttribute("action") + '"] button';
    if (a.getAttribute("href")) return 'a[href="' + a.getAttribute("href") + '"]';
    return "";
  }

  // states maps each container shown (rows and the page's badge) to its state.
  function states() {
    var m = {};
    document.querySelectorAll("tr[data-name]").forEach(function (r) { m[r.dataset.owner + "/" + r.dataset.name] = r.dataset.state; });
    var badge = document.querySelector("#container-panel [data-state]");
    if (badge) m["this"] = badge.dataset.state;
    return m;
  }

  var words = { running: "is running", exited: "stopped", created: "was created", restarting: "is restarting", paused: "is paused", dead: "died" };
  function announce(a, b) {
    var said = [];
    Object.keys(b).forEach(function (k) {
      if (a[k] === b[k]) return;
      var name = k === "this" ? "The container" : k.split("/")[1];
      said.push(name + " " + (words[b[k]] || "is " + b[k]) + ".");
    });
    Object.keys(a).forEach(function (k) { if (!(k in b) && k !== "this") said.push(k.split("/")[1] + " was deleted."); });
    if (said.length) document.getElementById("live-status").textContent = said.join(" ");
  }

  // subscribe calls onChange for every event of the caller's objects, from
  // the API's event stream; where that is unavailable (an older gateway,
  // a proxy that buffers) it polls instead, and tries the stream again later.
  function subscribe(onChange) {
    var poll = 0;
    // root's data-live says how the page follows changes (tests read it).
    function startPolling() { if (!poll) poll = setInterval(onChange, 3000); root.dataset.live = "polling"; }
    function stopPolling() { clearInterval(poll); poll = 0; }
    if (!window.EventSource) { startPolling(); return; }
    function open() {
      var es = new EventSource("/api/v1/events");
      // "resync": the server dropped events for this slow page; refetch.
      ["container", "volume", "image", "provision", "resync"].forEach(function (t) { es.addEventListener(t, onChange); });
      es.onmessage = onChange;
      es.onopen = function () { stopPolling(); root.dataset.live = "events"; onChange(); };
      es.onerror = function () {
        startPolling();
        if (es.readyState === EventSource.CLOSED) setTimeout(open, 30000);
      };
    }
    open();
  }

  // ---- Logs: <pre data-logs="<SSE URL>"> follows a container's output.
  // The API sends "stdout" and "stderr" events whose data is a JSON string
  // (a chunk of output, not always whole lines), then "end" or "error".
  var MAX_CHARS = 200000;
  function logs() {
    var pre = document.querySelector("pre[data-logs]");
    if (!pre) return;
    var state = document.querySelector("[data-logs-state]");
    function say(s) { if (state) state.textContent = s; }
    if (!window.EventSource) { say("Your browser cannot follow logs."); return; }
    var url = pre.dataset.logs;
    var es = new EventSource(url);
    var size = 0;
    function add(text, stream) {
      var atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 24;
      var node = document.createTextNode(text);
      if (stream === "stderr") {
        var span = document.createElement("span");
        span.className = "stderr";
        span.appendChild(node);
        node = span;
      }
      pre.appendChild(node);
      size += text.length;
      while (size > MAX_CHARS && pre.firstChild) { size -= pre.firstChild.textContent.length; pre.removeChild(pre.firstChild); }
      if (atBottom) pre.scrollTop = pre.scrollHeight;
    }
    function decode(d) {
      try { var v = JSON.parse(d); return typeof v === "string" ? v : (v && (v.text || v.line || v.message)) || ""; } catch (err) { return d; }
    }
    es.onopen = function () { say("Following"); };
    es.addEventListener("stdout", function (e) { add(decode(e.data), "stdout"); });
    es.addEventListener("stderr", function (e) { add(decode(e.data), "stderr"); });
    es.onmessage = function (e) { add(decode(e.data), "stdout"); };
    es.addEventListener("end", function () { say("Ended: the container is not running."); es.close(); });
    es.addEventListener("error", function (e) {
      if (e.data) { // the stream's own error event, with the platform's error
        var m = "";
        try { var j = JSON.parse(e.data); m = j.message || (j.error && j.error.message) || ""; } catch (err) { m = e.data; }
        say("Stopped: " + m);
        es.close();
        return;
      }
      if (es.readyState !== EventSource.CLOSED) { say("Reconnecting…"); return; }
      // Closed for good: ask why, once, without reading a stream body.
      var ctl = window.AbortController ? new AbortController() : null;
      fetch(url, { credentials: "same-origin", signal: ctl && ctl.signal }).then(function (res) {
        if (ctl) ctl.abort();
        if (res.status === 404) say("Logs are not available.");
        else if (res.status === 401) say("Sign in again to follow the logs.");
        else say("Logs are unavailable right now (HTTP " + res.status + ").");
      }).catch(function () { say("Disconnected."); });
    });
  }
  // ---- Pull progress: the card data-job="<job events URL>" follows a pull
  // job. Each layer moves through Docker's steps; downloading is the first
  // half of its share of the bar, extracting the second.
  function pulls() {
    var card = document.querySelector("[data-job]");
    if (!card || !window.EventSource) return;
    var bar = card.querySelector("[data-pull-bar]");
    var pct = card.querySelector("[data-pull-percent]");
    var status = card.querySelector("[data-pull-status]");
    var list = card.querySelector("[data-layers]");
    var errBox = card.querySelector("[data-pull-error]");
    var layers = {}, order = [];
    var es = new EventSource(card.dataset.job);

    function share(l) {
      if (/^(Pull complete|Already exists)/.test(l.status)) return 1;
      var f = l.total ? Math.min(1, l.current / l.total) : 0;
      if (/^Downloading/.test(l.status)) return 0.5 * f;
      if (/^(Verifying|Download complete)/.test(l.status)) return 0.5;
      if (/^Extracting/.test(l.status)) return 0.5 + 0.5 * f;
      return 0;
    }
    function set(p) {
      bar.value = p;
      bar.setAttribute("aria-valuetext", p + "%");
      pct.textContent = p + "%";
    }
    function draw() {
      if (!order.length) return;
      var sum = 0, done = 0;
      order.forEach(function (id) {
        var l = layers[id], s = share(l);
        sum += s;
        if (s === 1) done++;
        l.bar.value = Math.round(s * 100);
        l.text.textContent = l.status + (l.total && s < 1 ? " " + size(l.current) + " / " + size(l.total) : "");
      });
      set(Math.floor(sum / order.length * 100));
      status.textContent = done + " of " + order.length + " layers done";
    }
    function layer(id) {
      var li = document.createElement("li");
      var name = document.createElement("span"); name.className = "mono"; name.textContent = id;
      var text = document.createElement("span");
      var b = document.createElement("progress"); b.max = 100; b.value = 0; b.setAttribute("aria-label", "Layer " + id);
      li.append(name, text, b);
      list.appendChild(li);
      order.push(id);
      return { bar: b, text: text, status: "", current: 0, total: 0 };
    }
    es.addEventListener("progress", function (e) {
      var ev = JSON.parse(e.data), p = ev.progress || {};
      if (!p.id) { if (p.status) status.textContent = p.status; return; }
      var l = layers[p.id] || (layers[p.id] = layer(p.id));
      l.status = p.status || l.status;
      if (p.total) { l.total = p.total; l.current = p.current || 0; }
      draw();
    });
    es.addEventListener("done", function () {
      es.close();
      set(100);
      card.classList.add("done");
      status.textContent = "Pulled " + card.dataset.ref + ".";
      document.dispatchEvent(new Event("dol:changed"));
    });
    es.addEventListener("error", function (e) {
      if (!e.data) {
        if (es.readyState === EventSource.CLOSED) status.textContent = "Lost the pull's progress; reload the page to see where it is.";
        return;
      }
      es.close();
      card.classList.add("failed");
      var err = (JSON.parse(e.data).error) || {};
      status.textContent = "The pull failed.";
      errBox.replaceChildren(errorBlock(err));
      errBox.firstChild.focus();
    });
  }

  // ---- Build and stack jobs: the card data-build-job / data-stack-job =
  // "<job events URL>" follows the job. Build output (a build's progress,
  // or the build steps of a stack up) goes to the log, verbatim; a stack's
  // Compose events list its resources; the end shows the result, or the
  // error with Docker's own text and the step that failed.
  function jobs() {
    var card = document.querySelector("[data-build-job], [data-stack-job]");
    if (!card || !window.EventSource) return;
    var isBuild = card.hasAttribute("data-build-job");
    var bar = card.querySelector("[data-job-bar]");
    var state = card.querySelector("[data-job-state]");
    var status = card.querySelector("[data-job-status]");
    var stepEl = card.querySelector("[data-job-step]");
    var log = card.querySelector("[data-job-log]");
    var list = card.querySelector("[data-job-resources]");
    var resultBox = card.querySelector("[data-job-result]");
    var errBox = card.querySelector("[data-job-error]");
    var notesEl = card.querySelector("[data-job-notes]");
    var stepsEl = card.querySelector("[data-job-steps]");
    var resources = {}, steps = {}, step = "", chars = 0, notes = {};
    var es = new EventSource(isBuild ? card.dataset.buildJob : card.dataset.stackJob);

    function addLines(b) {
      if (!b || !log) return;
      log.hidden = false;
      if (b.step) {
        step = (b.service ? b.service + ": " : "") + b.step;
        if (stepEl) stepEl.textContent = step;
      }
      var text = (b.lines || []).map(function (l) { return (b.service && !isBuild ? b.service + " | " : "") + l; }).join("\n").replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
      if (!text) return;
      var stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      log.appendChild(document.createTextNode((chars ? "\n" : "") + text));
      chars += text.length;
      if (stick) log.scrollTop = log.scrollHeight;
    }
    // addSteps keeps BuildKit's steps (msg.BuildStep, by id) as a list:
    // each event carries only the steps that changed.
    function addSteps(list) {
      if (!stepsEl || !list) return;
      list.forEach(function (s) {
        var r = steps[s.id];
        if (!r) {
          var li = document.createElement("li");
          var name = document.createElement("span"); name.className = "mono";
          var when = document.createElement("span"); when.className = "step-time";
          li.append(name, when);
          stepsEl.appendChild(li);
          r = steps[s.id] = { li: li, name: name, when: when };
        }
        r.li.dataset.cached = s.cached ? "true" : "false";
        r.li.classList.toggle("failed", !!s.error);
        r.name.textContent = s.name;
        r.when.textContent = s.error ? "failed" : s.cached ? "cached" : s.completed ? (s.duration_ms / 1000).toFixed(1) + " s" : s.started ? "running…" : "";
      });
      stepsEl.hidden = false;
    }
    function resource(p) {
      if (!list || !p.resource) return;
      var r = resources[p.resource];
      if (!r) {
        var li = document.createElement("li");
        var name = document.createElement("span"); name.className = "mono"; name.textContent = p.resource;
        var text = document.createElement("span");
        li.append(name, text);
        list.appendChild(li);
        r = resources[p.resource] = { text: text };
      }
      r.text.textContent = [p.status, p.text].filter(Boolean).join(" ");
    }
    // A note says how the platform honoured the file (a port became a
    // link, a subnet is the platform's): listed apart from Compose's events.
    function note(text) {
      if (!notesEl || !text || notes[text]) return;
      notes[text] = true;
      var li = document.createElement("li");
      li.textContent = text;
      notesEl.appendChild(li);
      notesEl.hidden = false;
    }
    function end(ok, words) {
      es.close();
      bar.max = 100; bar.value = 100;
      card.classList.add(ok ? "done" : "failed");
      card.dataset.state = ok ? "done" : "failed";
      state.className = "badge " + (ok ? "ok" : "bad");
      state.textContent = ok ? "done" : "failed";
      status.textContent = words;
    }
    es.addEventListener("progress", function (e) {
      var ev = JSON.parse(e.data), p = ev.progress || {};
      if (isBuild) { addSteps(p.steps); addLines(p); status.textContent = "Building…"; return; }
      if (p.status === "Note") { note(p.text); return; }
      if (p.build) { addSteps(p.build.steps); addLines(p.build); }
      resource(p);
      if (p.resource || p.status) status.textContent = [p.resource, p.status].filter(Boolean).join(": ");
    });
    es.addEventListener("done", function (e) {
      var res = (JSON.parse(e.data).result) || {};
      if (isBuild) {
        end(true, "Built " + (res.image || card.dataset.ref) + ".");
        if (resultBox && res.image) {
          var box = document.createElement("div"); box.className = "alert ok"; box.setAttribute("role", "status");
          var inner = document.createElement("div");
          var strong = document.createElement("strong"); strong.textContent = "Built " + res.image;
          var id = document.createElement("div"); id.className = "muted small mono"; id.textContent = res.id || "";
          var run = document.createElement("a"); run.className = "btn small"; run.href = "/run?image=" + encodeURIComponent(res.image); run.textContent = "Run it";
          inner.append(strong, id, run);
          box.appendChild(inner);
          resultBox.replaceChildren(box);
        }
      } else {
        (res.notes || []).forEach(note);
        end(true, "Stack " + card.dataset.ref + " is up.");
      }
      document.dispatchEvent(new Event("dol:changed"));
    });
    es.addEventListener("error", function (e) {
      if (!e.data) {
        if (es.readyState === EventSource.CLOSED) status.textContent = "Lost the job's progress; reload the page to see where it is.";
        return;
      }
      var err = (JSON.parse(e.data).error) || {};
      end(false, (isBuild ? "The build failed" : "The deployment failed") + (step ? " at " + step : "") + ".");
      errBox.replaceChildren(errorBlock(err));
      if (step) {
        var at = document.createElement("p"); at.className = "small"; at.textContent = "Failing step: ";
        var code = document.createElement("code"); code.textContent = step;
        at.appendChild(code);
        errBox.firstChild.lastChild.insertBefore(at, errBox.firstChild.lastChild.children[1] || null);
      }
      errBox.firstChild.focus();
      document.dispatchEvent(new Event("dol:changed"));
    });
  }

  // ---- Stack form: the compose file's variables, an input each, listed
  // by the server (the same block "List variables" renders without
  // script) as the file is typed or pasted. What was typed in the inputs
  // is posted along, so it stays.
  function stackVars() {
    var box = document.querySelector("[data-stack-vars]");
    var compose = document.getElementById("stack-compose");
    if (!box || !compose || !window.fetch) return;
    var form = compose.form, timer = null, ctl = null;
    function list() {
      if (!compose.value.trim()) return;
      if (ctl) ctl.abort();
      ctl = window.AbortController ? new AbortController() : null;
      fetch("/stacks/variables", { method: "POST", body: new FormData(form), headers: { "X-Fragment": "1", "Accept": "text/html" }, credentials: "same-origin", signal: ctl && ctl.signal })
        .then(function (res) { return res.ok ? res.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var next = document.createElement("template");
          next.innerHTML = html;
          box.replaceChildren(next.content);
          box.dataset.listed = "1";
        })
        .catch(function () { /* aborted by newer typing, or offline: "List variables" still works */ });
    }
    compose.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(list, 600);
    });
    if (compose.value.trim() && !box.querySelector("fieldset")) list();
  }

  // errorBlock builds the platform's error block (as the server renders
  // it) from an API error: message, rule, and Docker's own text verbatim.
  function errorBlock(err) {
    var box = document.createElement("div");
    box.className = "alert bad"; box.setAttribute("role", "alert"); box.tabIndex = -1;
    var inner = document.createElement("div");
    var strong = document.createElement("strong"); strong.textContent = err.message || "Something went wrong.";
    inner.appendChild(strong);
    if (err.rule) {
      var r = document.createElement("p"); r.className = "rule";
      r.textContent = "Refused by the rule " + err.rule + ".";
      inner.appendChild(r);
    }
    if (err.docker) {
      var said = document.createElement("p"); said.className = "small"; said.textContent = "Docker said:";
      var pre = document.createElement("pre"); pre.className = "docker"; pre.textContent = err.docker;
      inner.append(said, pre);
    }
    box.appendChild(inner);
    return box;
  }

  function size(n) {
    var u = ["B", "KB", "MB", "GB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  }
})();
