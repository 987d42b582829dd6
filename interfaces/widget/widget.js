/* Hatched widget loader __HATCHED_WIDGET_VERSION__ — dependency-free, renders into Shadow DOM.
 * <script src=".../widget.js" data-session-token="…" defer></script>
 * <div data-hatched-mount="buddy"></div>  (also: badges, tokens, leaderboard, streak, marketplace)
 */
(function () {
  "use strict";
  var VERSION = "__HATCHED_WIDGET_VERSION__";
  if (window.__HATCHED_WIDGET__) return;

  var script = document.currentScript ||
    document.querySelector("script[data-session-token],script[data-embed-token]");
  var POLL_MS = 5000, BUSY_POLL_MS = 700, MAX_BACKOFF_MS = 30000;
  var STAGES = ["", "Hatchling", "Fledgling", "Juvenile", "Adult", "Elder"];
  var MESSAGES = {
    no_token: "No widget token: add data-session-token or data-embed-token to the script tag.",
    unauthorized: "This widget's token is not valid, so your buddy can't be shown.",
    insufficient_scope: "This widget's token is not allowed to do that (it lacks the {required_scope} scope).",
    insufficient_balance: "Not enough {currency}: it costs {required}, you have {balance}.",
    out_of_stock: "Sold out: there are none left.",
    requirements_not_met: "Still locked: {unmet}.",
    item_already_owned: "You already own this item.",
    too_many_items: "Your buddy can wear at most {max} items: take one off first.",
    category_conflict: "Your buddy already wears a {category} item: take it off first.",
    forbidden: "This widget is read-only: it can show your buddy but not change it.",
    plan_feature_locked: "The {feature} is not part of this app's Hatched plan yet.",
    capability_disabled: "The {feature} is switched off for this app.",
    resource_not_found: "This buddy could not be found.",
    rate_limited: "Too many requests: trying again in a moment.",
    network: "Can't reach Hatched. Check your connection; retrying…",
    server: "Hatched is having trouble right now (HTTP {status}). Retrying…"
  };
  var REASONS = {  // a 401 is `unauthorized`; details.reason says what to do
    expired: "This buddy session has expired. Reload the page to continue.",
    revoked: "This buddy session was revoked. Sign in again to see your buddy."
  };
  var FATAL = { no_token: 1, unauthorized: 1, resource_not_found: 1 };
  var SETTLED = { plan_feature_locked: 1, capability_disabled: 1 };  // retrying won't change it

  var cfg = {}, state = null, etag = null, error = null, notice = null, toast = "";
  var timer = null, failures = 0, stopped = false, busy = 0, board = null, boardKey = null;
  var mounts = [];

  function attr(name) { return script ? script.getAttribute(name) : null; }

  function configure(opts) {
    opts = opts || {};
    var base = opts.apiBaseUrl || attr("data-api-base-url");
    if (!base) {
      try { base = new URL("/api/v1", script.src).href; } catch (e) { base = "https://api.hatched.live/api/v1"; }
    }
    cfg = {
      token: opts.token || attr("data-session-token") || attr("data-embed-token"),
      api: base.replace(/\/+$/, ""),
      theme: opts.theme || attr("data-theme")
    };
  }

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return "&#" + c.charCodeAt(0) + ";";
    });
  }

  function fail(code, status, details) {
    var e = new Error(code);
    e.code = code; e.status = status; e.details = details;
    return e;
  }

  function call(method, path, body, conditional) {
    var headers = { Authorization: "Bearer " + cfg.token };
    if (body) headers["Content-Type"] = "application/json";
    if (conditional && etag) headers["If-None-Match"] = etag;
    return fetch(cfg.api + path, {
      method: method, headers: headers, credentials: "omit",
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      if (r.status === 304) return { status: 304 };
      return r.json().catch(function () { return null; }).then(function (data) {
        if (r.ok) return { status: r.status, data: data, etag: r.headers.get("ETag") };
        var err = data && data.error;
        var code = err ? err.code : (r.status >= 500 ? "server" : "http");
        var e = fail(code, r.status, err && err.details);
        e.serverMessage = err && err.message;
        throw e;
      });
    }, function () { throw fail("network", 0); });
  }

  function reasonOf(e) {
    var r = e.code === "unauthorized" && e.details && e.details.reason;
    return REASONS.hasOwnProperty(r) ? r : "";
  }

  function messageOf(e) {
    var text = REASONS[reasonOf(e)] || MESSAGES[e.code] ||
      (e.status >= 500 ? MESSAGES.server : e.serverMessage) || MESSAGES.server;
    return text.replace(/\{(\w+)\}/g, function (_, k) {  // from the error's details
      var v = k === "status" ? e.status : (e.details || {})[k];
      return v && v.map ? v.map(function (u) { return u.reason || u; }).join("; ") : v;
    });
  }

  // -- the shared poller of /widget/state ------------------------------------------------

  function poll() {
    clearTimeout(timer);
    if (stopped) return Promise.resolve();
    if (!cfg.token) { stopped = true; error = fail("no_token", 0); render(); return Promise.resolve(); }
    return call("GET", "/widget/state", null, true).then(function (res) {
      failures = 0; error = null;
      if (res.status !== 304) { state = res.data; etag = res.etag; }
      render(); schedule();
    }, function (e) {
      failures += 1; error = e;
      if (FATAL[e.code]) { stopped = true; state = null; etag = null; }  // show nothing stale
      render(); schedule();
    });
  }

  function pending() { return busy > 0 || !!(state && state.pending_operations.length); }

  function schedule() {
    clearTimeout(timer);
    if (stopped || document.hidden) return;
    var wait = error ? Math.min(MAX_BACKOFF_MS, POLL_MS * Math.pow(2, failures - 1))
      : (pending() ? BUSY_POLL_MS : POLL_MS);
    timer = setTimeout(poll, wait);
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });

  // -- rendering ----------------------------------------------------------------------------

  var CSS = ":host{display:block}" +
    ".hw{--bg:#fff;--fg:#1d2330;--muted:#5b6475;--line:#e3e7ef;--accent:#5b4fe0;--ok:#1d7a4c;--warn:#9a3412;" +
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);background:var(--bg);" +
    "border:1px solid var(--line);border-radius:14px;padding:14px;position:relative}" +
    ".hw[data-theme=dark]{--bg:#161a23;--fg:#eef1f7;--muted:#a9b1c2;--line:#2c3340;--accent:#a59bff;--ok:#6ee7a8;--warn:#fdba74}" +
    "h2{font-size:15px;margin:0 0 6px}p{margin:2px 0}ul{list-style:none;margin:0;padding:0}" +
    ".row{display:flex;gap:12px;align-items:center}.muted{color:var(--muted)}" +
    ".fig{position:relative;width:112px;height:112px;flex:none}.fig img,.fig svg{width:112px;height:112px}" +
    ".busy{position:absolute;inset:0;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:6px;" +
    "background:color-mix(in srgb,var(--bg) 78%,transparent);border-radius:12px;font-weight:600}" +
    ".spin{width:14px;height:14px;border:2px solid var(--accent);border-right-color:transparent;" +
    "border-radius:50%;animation:s .8s linear infinite}@keyframes s{to{transform:rotate(1turn)}}" +
    ".coins{font-size:20px;font-weight:700}.bump{animation:b .4s ease-out}" +
    "@keyframes b{40%{transform:scale(1.25);color:var(--accent)}}" +
    ".ready{color:var(--ok);font-weight:600}.toast{min-height:1.45em;color:var(--accent);font-weight:600}" +
    ".err{color:var(--warn);font-weight:600;margin-top:8px}" +
    "button{font:inherit;border:1px solid var(--line);background:var(--bg);color:var(--fg);" +
    "border-radius:8px;padding:2px 10px;cursor:pointer;margin-left:6px}" +
    "button:focus-visible,[tabindex]:focus-visible{outline:3px solid var(--accent);outline-offset:2px}" +
    ".tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(120px,1fr));gap:8px}" +
    ".tile{border:1px solid var(--line);border-radius:10px;padding:8px}.tile.locked{opacity:.8}" +
    ".bar{height:6px;background:var(--line);border-radius:3px;margin-top:4px}" +
    ".bar i{display:block;height:6px;background:var(--accent);border-radius:3px}" +
    "button:disabled{opacity:.55;cursor:default}.tile img{width:40px;height:40px;float:right}.tile.locked img{filter:grayscale(1)}.tile button{margin:4px 0 0}" +
    "li.kv{display:flex;justify-content:space-between;padding:3px 0;border-bottom:1px solid var(--line)}" +
    "@media (prefers-reduced-motion:reduce){.spin,.bump{animation:none}}";

  function themeName() {
    var t = cfg.theme || (state && state.theme && state.theme.theme) || "light";
    return t === "dark" ? "dark" : "light";
  }

  function portrait(buddy) {
    var name = buddy.name + ", stage " + buddy.evolution_stage + " " + (STAGES[buddy.evolution_stage] || "");
    // The thumbnail is the picture cropped to the buddy: in a 112 px frame the whole scene
    // would leave a hatchling a third of it.
    var url = buddy.thumb_url || buddy.image_url || (buddy.appearance && buddy.appearance.image_url);
    if (url) {
      return '<img src="' + esc(new URL(url, cfg.api + "/").href) + '" alt="' + esc(name) +
        '" data-stage="' + buddy.evolution_stage + '">';
    }
    // No rendered picture from the server: draw the loader's own portrait of this stage.
    var s = buddy.evolution_stage, hue = 0, id = buddy.buddy_id || "";
    for (var i = 0; i < id.length; i++) hue = (hue * 31 + id.charCodeAt(i)) % 360;
    var r = 18 + s * 5, c = "hsl(" + hue + ",70%,62%)", d = "hsl(" + hue + ",55%,38%)";
    var parts = ['<svg viewBox="0 0 100 100" role="img" aria-label="' + esc(name) + '" data-stage="' + s + '">'];
    if (s >= 2) parts.push('<ellipse cx="' + (50 - r) + '" cy="58" rx="' + (6 + s * 2) + '" ry="' + (4 + s) + '" fill="' + d + '"/><ellipse cx="' + (50 + r) + '" cy="58" rx="' + (6 + s * 2) + '" ry="' + (4 + s) + '" fill="' + d + '"/>');
    if (s >= 3) parts.push('<path d="M' + (50 - r / 2) + ' ' + (60 - r) + 'l-6 -12 12 6zM' + (50 + r / 2) + ' ' + (60 - r) + 'l6 -12 -12 6z" fill="' + d + '"/>');
    parts.push('<circle cx="50" cy="60" r="' + r + '" fill="' + c + '"/>');
    if (s >= 4) parts.push('<path d="M40 ' + (62 - r) + 'q10 -14 20 0" stroke="' + d + '" stroke-width="4" fill="none"/>');
    if (s >= 5) parts.push('<path d="M38 ' + (52 - r) + 'l6 -10 6 8 6 -8 6 10z" fill="#f5c542"/>');
    parts.push('<circle cx="43" cy="56" r="3.5" fill="#1d2330"/><circle cx="57" cy="56" r="3.5" fill="#1d2330"/>' +
      '<path d="M45 66q5 4 10 0" stroke="#1d2330" stroke-width="2" fill="none"/>');
    if (s === 1) parts.push('<path d="M' + (50 - r) + ' 66l8 -6 8 6 8 -6 8 6 8 -6 8 6V' + (60 + r) + 'H' + (50 - r) + 'z" fill="#f4efe4" opacity=".95"/>');
    return parts.join("") + "</svg>";
  }

  function errorBlock(e, refusal) {  // "Retry now" polls again: no use after a refused action
    var retry = FATAL[e.code] || SETTLED[e.code] || refusal ? "" : '<button type="button" data-action="retry">Retry now</button>';
    var reason = reasonOf(e) ? '" data-reason="' + reasonOf(e) : "";
    return '<p class="err" role="alert" data-error="' + esc(e.code) + reason + '">' +
      esc(messageOf(e)) + retry + "</p>";
  }

  function renderBuddy() {
    var b = state.buddy, processing = pending();
    return '<div class="row"><div class="fig">' + portrait(b) +
      (processing ? '<div class="busy" role="status"><span class="spin" aria-hidden="true"></span>Processing…</div>' : "") +
      '</div><div><h2>' + esc(b.name) + '</h2><p class="muted">Stage ' + b.evolution_stage + " · " +
      esc(STAGES[b.evolution_stage] || "") + '</p><p><span class="coins" data-coins="' + b.coins + '">' +
      b.coins + '</span> coins</p>' + (b.evolution_ready ? '<p class="ready">Ready to evolve!</p>' : "") +
      '</div></div><p class="toast" aria-live="polite">' + esc(toast) + "</p>";
  }

  function tile(t) {
    var pct = Math.round(t.progress * 100);
    var label = t.name + (t.status === "earned" ? ", earned" : ", " + pct + "% there");
    return '<li class="tile ' + t.status + '" tabindex="0" aria-label="' + esc(label) + '" title="' +
      esc(t.description) + '">' + (t.icon_url ? '<img alt="" src="' + esc(t.icon_url) + '">' : "") +
      "<strong>" + (t.status === "earned" ? "★ " : "☆ ") + esc(t.name) + "</strong>" +
      (t.status === "earned" ? "" : '<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="' +
        pct + '"><i style="width:' + pct + '%"></i></div>') + "</li>";
  }

  function renderBadges() {
    var badges = state.badges, earned = badges.data.filter(function (t) { return t.status === "earned"; });
    return "<h2>Badges " + badges.earned + "/" + badges.total + '</h2><ul class="tiles">' +
      earned.concat(badges.next_up).map(tile).join("") + "</ul>" +
      (badges.next_up.length || earned.length ? "" : '<p class="muted">No badges yet.</p>');
  }

  function renderTokens() {
    var w = state.tokens;
    function row(label, slot, key) {
      return '<li class="kv" data-token="' + esc(key) + '"><span>' + esc(label) + "</span><strong>" + slot.balance +
        '</strong></li>';
    }
    return '<h2>Wallet</h2><ul>' + row("Coins", w.coins, "coins") + row(w.primary.label, w.primary, w.primary.key) +
      row(w.progression.label, w.progression, w.progression.key) + "</ul>";
  }

  function renderLeaderboard() {
    if (board === "unavailable") return '<h2>Leaderboard</h2><p class="muted" role="status">Leaderboard unavailable.</p>';
    if (!board) return '<h2>Leaderboard</h2><p class="muted">Loading…</p>';
    function line(e) {
      return '<li class="kv"' + (e.me ? ' aria-current="true"' : "") + "><span>" + e.rank + ". " +
        esc(e.name) + (e.me ? " (you)" : "") + "</span><strong>" + e.value + "</strong></li>";
    }
    var mine = board.me && !board.data.some(function (e) { return e.me; });
    return "<h2>Leaderboard</h2><ul>" + board.data.map(line).join("") + (mine ? line(board.me) : "") +
      "</ul>" + (board.data.length ? "" : '<p class="muted">Nobody on the board yet.</p>');
  }

  function loadBoard(el) {
    var key = state && state.buddy.coins;
    if (boardKey === key || board === "unavailable") return;
    boardKey = key;
    var query = "?metric=" + encodeURIComponent(el.getAttribute("data-metric") || "coins_earned") +
      "&window=" + encodeURIComponent(el.getAttribute("data-window") || "all_time");
    call("GET", "/widget/leaderboard" + query).then(function (res) { board = res.data; render(); },
      function () { board = "unavailable"; render(); });
  }

  // A streak mount: data-streak-key (required), data-display-mode (count | row | mini;
  // default: the definition's). Fetched again whenever the state's ETag changes.
  var UNITS = { daily: ["day", "today"], weekly: ["week", "this week"], monthly: ["month", "this month"] };
  var MARKS = { ticked: "●", frozen: "❄", missed: "○", open: "◌" };
  function renderStreak(m) {
    var key = m.el.getAttribute("data-streak-key") || "";
    if (m.streakTag !== etag) {
      m.streakTag = etag;
      call("GET", "/widget/streak/" + encodeURIComponent(key)).then(function (res) { m.streak = res.data; render(); },
        function (e) { m.streak = e; render(); });
    }
    var s = m.streak;
    if (!s) return '<p class="muted" role="status">Loading…</p>';
    if (s instanceof Error) return errorBlock(s);
    var mode = m.el.getAttribute("data-display-mode") || s.display_mode, unit = UNITS[s.period] || UNITS.daily;
    var count = '<span class="coins" data-streak-count="' + s.count + '">' + s.count + "</span>";
    var done = s.ticked_this_period ? "Done " + unit[1] + " ✓" : "Not yet " + unit[1];
    var head = '<div class="row" data-streak="' + esc(s.streak_key) + '" data-mode="' + esc(mode) + '">';
    if (mode === "mini") return head + '<span aria-hidden="true">🔥</span>' + count + '<span class="muted">' + esc(done) + "</span></div>";
    var body = head + "<div><h2>🔥 " + count + " " + unit[0] + (s.count === 1 ? "" : "s") + " streak</h2>";
    if (mode === "row") {
      var row = s.recent.slice(-(s.max_row_icons || 7));
      body += '<p aria-label="' + esc(row.map(function (p) { return p.period + " " + p.status; }).join(", ")) + '">' +
        row.map(function (p) { return '<span data-period="' + p.status + '">' + MARKS[p.status] + "</span>"; }).join(" ") + "</p>";
    }
    return body + '<p class="muted">' + esc(done) + (s.next_milestone ? " · next milestone: " + s.next_milestone : "") +
      (s.freeze_tokens ? " · ❄ " + s.freeze_tokens : "") + "</p></div></div>";
  }

  // The shop: GET /widget/marketplace whenever the state's ETag changes; each item shown is
  // counted once (track-view). Buying and equipping run through watch(), so the buddy shows
  // "Processing…" until the equip operation is done and its new picture is in the state.
  function renderShop(m) {
    if (m.tag !== etag) {
      m.tag = etag;
      call("GET", "/widget/marketplace").then(function (res) { m.shop = res.data; render(); },
        function (e) { m.shop = e; render(); });
    }
    var s = m.shop, seen = m.seen = m.seen || {};
    if (!s) return '<p class="muted" role="status">Loading…</p>';
    if (s instanceof Error) return errorBlock(s);
    if (!pending()) m.equipping = null;
    return '<h2>Shop</h2><ul class="tiles">' + s.items.map(function (i) {
      var id = esc(i.item_id), price = [], button;
      if (!seen[id]) { seen[id] = 1; call("POST", "/widget/marketplace/items/" + encodeURIComponent(i.item_id) + "/track-view").catch(ignore); }
      if (i.price_coins != null) price.push(i.price_coins + (i.price_coins === 1 ? " coin" : " coins"));
      if (i.price_tokens != null) price.push(i.price_tokens + " " + i.token_key);
      var why = i.locked ? "Locked: " + i.unmet.map(function (u) { return u.reason; }).join("; ")
        : i.owned && i.equippable ? (i.equipped ? "Wearing" : "Owned") : i.sold_out ? "Sold out"
        : (i.quantity ? "Owned ×" + i.quantity + " · " : "") + (i.affordable ? (i.stock_remaining != null ? i.stock_remaining + " left" : "") : "Can't afford yet");
      if (m.equipping === i.item_id) button = '<button type="button" disabled aria-busy="true">Processing…</button>';
      else if (i.owned && i.equippable) button = '<button type="button" data-action="' + (i.equipped ? "doff" : "wear") + '" data-item="' + id + '">' + (i.equipped ? "Unequip" : "Equip") + "</button>";
      else button = '<button type="button" data-action="buy" data-item="' + id + '"' + (i.locked || !i.affordable || i.sold_out ? " disabled" : "") + ">Buy</button>";
      return '<li class="tile' + (i.locked ? " locked" : "") + '" data-item="' + id + '">' + (i.image_url ? '<img alt="" src="' + esc(i.image_url) + '">' : "") +
        "<strong>" + esc(i.name) + '</strong><p class="muted">' + esc(price.join(" + ") || "Free") + '</p><p data-why>' + esc(why) + "</p>" + button + "</li>";
    }).join("") + "</ul>" + (s.items.length ? "" : '<p class="muted">Nothing on sale.</p>') + '<p class="toast" aria-live="polite">' + esc(toast) + "</p>";
  }

  function ignore() {}  // act() has shown the refusal already

  function equip(m, ids, id) {
    m.equipping = id;
    watch(call("POST", "/widget/equip", { item_ids: ids })).catch(ignore);
  }

  var ACTIONS = {
    buy: function (m, id) {
      watch(call("POST", "/widget/purchase", { item_id: id })).then(function () { say("Bought! Equip it to wear it."); render(); }, ignore);
    },
    wear: function (m, id) { equip(m, m.shop.equipped_items.concat(id), id); },
    doff: function (m, id) { equip(m, m.shop.equipped_items.filter(function (x) { return x !== id; }), id); }
  };

  var RENDER = { buddy: renderBuddy, badges: renderBadges, tokens: renderTokens, leaderboard: renderLeaderboard, streak: renderStreak, marketplace: renderShop };
  var LABELS = { buddy: "Your buddy", badges: "Badges", tokens: "Wallet", leaderboard: "Leaderboard", streak: "Streak", marketplace: "Shop" };

  function attach(el) {
    if (el.__hatched) return;
    var kind = el.getAttribute("data-hatched-mount");
    var root = el.attachShadow ? el.attachShadow({ mode: "open" }) : el;
    root.innerHTML = "<style>" + CSS + '</style><section class="hw" role="region"></section>';
    var mount = { el: el, kind: kind, section: root.querySelector("section") };
    mount.section.setAttribute("aria-label", LABELS[kind] || "Hatched widget");
    mount.section.addEventListener("click", function (ev) {
      var t = ev.target, a = t.getAttribute("data-action");
      if (a === "retry") { stopped = false; poll(); } else if (ACTIONS[a]) ACTIONS[a](mount, t.getAttribute("data-item"));
    });
    el.__hatched = mount;
    mounts.push(mount);
  }

  function scan() {
    var found = document.querySelectorAll("[data-hatched-mount]");
    for (var i = 0; i < found.length; i++) attach(found[i]);
  }

  function render() {
    var theme = themeName();
    mounts.forEach(function (m) {
      var body, draw = RENDER[m.kind];
      if (!draw) body = '<p class="err" role="alert">The “' + esc(m.kind) + "” widget isn't available in Hatched " + VERSION + ".</p>";
      else if (!state) body = error ? errorBlock(error) : '<p class="muted" role="status">Loading…</p>';
      else {
        if (m.kind === "leaderboard") loadBoard(m.el);
        body = draw(m) + (error ? errorBlock(error) : "") + (notice ? errorBlock(notice, 1) : "");
      }
      m.section.setAttribute("data-theme", theme);
      m.section.setAttribute("aria-busy", pending() ? "true" : "false");
      var before = m.section.querySelector(".coins"), old = before && before.textContent;
      m.section.innerHTML = body;
      var after = m.section.querySelector(".coins");
      if (after && old != null && old !== after.textContent) after.classList.add("bump");
    });
  }

  // -- actions --------------------------------------------------------------------------------

  function eventId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function describe(answer) {
    var effects = answer.effects, parts = [], capped = {};
    if (effects.coins) parts.push("+" + effects.coins + " coins");
    (effects.tokens || []).forEach(function (t) { var kv = t.split(":"); parts.push("+" + kv[1] + " " + kv[0]); });
    (effects.badges_awarded || []).forEach(function (b) { parts.push("Badge earned: " + b); });
    if (effects.evolution_ready) parts.push("Ready to evolve!");
    (answer.caps_reached || []).forEach(function (c) {  // a coin rule's cap held the reward back
      var note = (c.period === "day" ? "Daily" : "Weekly") + " cap reached (" + c.cap + "/" + c.period + ")";
      if (c.kind === "coin" && !capped[note]) { capped[note] = 1; parts.push(note); }
    });
    return parts.join(" · ");
  }

  // Show what the answer says at once; the refresh that follows brings the rest.
  function credit(answer) {
    if (!state || answer.duplicate) return;
    var effects = answer.effects, w = state.tokens;
    state.buddy.coins += effects.coins || 0;
    w.coins.balance += effects.coins || 0;
    (effects.tokens || []).forEach(function (t) {
      var kv = t.split(":"), slot = w.primary.key === kv[0] ? w.primary : w.progression;
      if (slot.key === kv[0]) slot.balance += Number(kv[1]);
    });
    render();
  }

  function act(promise) {
    return promise.then(function (res) { notice = null; return res; }, function (e) {
      notice = e; render();
      setTimeout(function () { if (notice === e) { notice = null; render(); } }, 6000);
      throw e;
    });
  }

  function track(type, properties) {
    var body = { type: type, event_id: eventId(), properties: properties || {} };
    var send = function () { return call("POST", "/widget/track", body); };
    return act(send().catch(function (e) { if (e.code === "network") return send(); throw e; }))
      .then(function (res) {
        credit(res.data);
        say(describe(res.data) || "Nothing new this time.");
        return poll().then(function () { return res.data; });
      });
  }

  function say(text) {
    toast = text;
    setTimeout(function () { if (toast === text) { toast = ""; render(); } }, 8000);
  }

  function watch(request) {
    busy += 1; toast = ""; render();
    return act(request).then(function (res) { return poll().then(function () { return res.data; }); })
      .then(function (data) { busy -= 1; schedule(); return data; }, function (e) { busy -= 1; render(); throw e; });
  }

  function init(opts) {
    configure(opts);
    state = null; etag = null; error = null; notice = null; stopped = false; failures = 0; board = null; boardKey = null;
    scan(); render();
    return poll();
  }

  window.__HATCHED_WIDGET__ = {
    version: VERSION,
    init: init,
    track: track,
    refresh: function () { stopped = false; return poll(); },
    rerender: function () { return watch(call("POST", "/widget/appearance/rerender")); },
    request: function (method, path, body) { return watch(call(method, path, body)); },
    state: function () { return state; }
  };
  window.HatchedWidgets = { version: VERSION };

  function start() {
    configure();
    if (window.MutationObserver) {  // mounts added later (single-page apps), looked for once per burst
      var queued = false;
      new MutationObserver(function () {
        if (queued) return;
        queued = true;
        setTimeout(function () { queued = false; var n = mounts.length; scan(); if (mounts.length > n) render(); }, 50);
      }).observe(document.documentElement, { childList: true, subtree: true });
    }
    scan();
    poll();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
