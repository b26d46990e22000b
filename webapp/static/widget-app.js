/*
 * The /widget page: a light chat that calls /api/ask on this origin.
 *
 * Safety of what it shows: every text from the network or the patient is either
 * set with textContent, or (the assistant's Markdown) HTML-escaped FIRST and only
 * then given a tiny subset of formatting (bold, http(s) links, lists, paragraphs,
 * headings, citation markers). Nothing unescaped ever reaches innerHTML.
 *
 * Each request carries the conversation so far (`history`), so follow-ups such as
 * "how long for?" are read in context. The conversation is kept in sessionStorage
 * (this browser tab, this bot's origin), so it survives a reload and the visitor
 * moving to another page of the clinic's site; "New conversation" clears it.
 *
 * It shows what the chat page shows: the referral in full on the first reply, then
 * its emergency line with the rest one tap away; tap-to-call numbers; "Book / call
 * the clinic" under answers that suggest seeing someone (the rule of webapp/links.py);
 * thumbs with one vote per answer and optional reasons. Texts: prompts/en/interface.toml.
 */
(function () {
  "use strict";

  var config = {};
  try { config = JSON.parse(document.body.getAttribute("data-config") || "{}"); } catch (e) { config = {}; }
  var texts = config.texts || {};
  var params = new URLSearchParams(window.location.search);
  var embedded = params.get("embedded") === "1" && window.parent !== window;
  var maxChars = config.maxMessageChars || 2000;
  var maxHistory = config.maxHistoryMessages || 12;
  var MAX_BODY = 60000; // bytes; the server refuses more than 64 KiB
  var STORE_KEY = "clinic-chat:conversation";
  var MAX_STORED = 40; // messages kept on screen across pages (the API gets at most maxHistory)
  var SAFE_URL = /^https?:\/\//i;

  var root = document.documentElement;
  var log = document.getElementById("log");
  var welcome = document.getElementById("welcome");
  var form = document.getElementById("compose");
  var input = document.getElementById("question");
  var send = document.getElementById("send");
  var counter = document.getElementById("counter");
  var tools = document.getElementById("tools");
  var newChat = document.getElementById("new-chat");
  var confirmBox = document.getElementById("confirm");
  var busy = false;
  // What is on screen, in order: {type: "user", text} or {type: "reply", data, question, id, vote, reason}.
  var items = [];

  function t(table, key) { return (texts[table] && texts[table][key]) || ""; }

  // -- setup -------------------------------------------------------------------------------

  var accent = params.get("accent") || "";
  if (/^#(?:[0-9a-fA-F]{3}){1,2}$/.test(accent)) {
    root.style.setProperty("--accent", accent);
    root.style.setProperty("--on-accent", readableOn(accent));
  }
  var title = (params.get("title") || "").trim().slice(0, 60);
  if (title) document.getElementById("title").textContent = title;
  if (embedded) document.body.classList.add("embedded"); // the snippet's bar shows the title and the label

  /* Light or dark: the snippet's data-theme ("light", "dark"), else the system's. */
  var themeWanted = params.get("theme") || "auto";
  var systemDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function applyTheme() {
    var dark = themeWanted === "dark" || (themeWanted !== "light" && systemDark && systemDark.matches);
    root.setAttribute("data-theme", dark ? "dark" : "light");
  }
  applyTheme();
  if (systemDark && systemDark.addEventListener) systemDark.addEventListener("change", applyTheme);

  function contactLinks(className) {
    var links = [];
    if (config.bookingUrl && SAFE_URL.test(config.bookingUrl)) {
      var book = el("a", className + " book", t("actions", "book") || "Book an appointment");
      book.href = config.bookingUrl;
      book.target = "_blank";
      book.rel = "noopener noreferrer";
      links.push(book);
    }
    if (config.phone && /\d/.test(config.phone)) {
      var call = el("a", className + " call", (t("actions", "call") || "Call the clinic: {phone}").replace("{phone}", config.phone));
      call.href = "tel:" + config.phone.replace(/[^\d+]/g, "");
      links.push(call);
    }
    return links;
  }
  var contacts = document.getElementById("contacts");
  contactLinks("contact").forEach(function (a) { contacts.appendChild(a); });
  if (!contacts.children.length) contacts.hidden = true;

  var examples = document.getElementById("examples");
  (config.examples || []).forEach(function (text) {
    var b = el("button", "example", text);
    b.type = "button";
    b.addEventListener("click", function () { ask(text); });
    examples.appendChild(b);
  });

  /* Black or white, whichever reads better on the accent colour (WCAG relative luminance). */
  function readableOn(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    var lum = [0, 2, 4].map(function (i) {
      var c = parseInt(h.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#ffffff" : "#111111";
  }

  // -- safe Markdown ---------------------------------------------------------------------

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* One line, already escaped: links (http/https only), bold, citation markers. */
  function inline(escaped) {
    return escaped
      .replace(/\[([^\[\]]+)\]\((https?:\/\/[^\s()<>]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
      .replace(/\*\*(\S(?:[^*]*?\S)?)\*\*/g, "<strong>$1</strong>")
      .replace(/\[(\d{1,3})\](?!\()/g, '<sup class="cite">[$1]</sup>');
  }

  function renderMarkdown(markdown) {
    var lines = escapeHtml(markdown || "").replace(/\r\n/g, "\n").split("\n");
    var out = [], paragraph = [], list = [], listTag = "";
    function flushParagraph() {
      if (paragraph.length) out.push("<p>" + paragraph.map(inline).join("<br>") + "</p>");
      paragraph = [];
    }
    function flushList() {
      if (list.length) out.push("<" + listTag + ">" + list.map(function (i) { return "<li>" + inline(i) + "</li>"; }).join("") + "</" + listTag + ">");
      list = [];
      listTag = "";
    }
    lines.forEach(function (raw) {
      var line = raw.trim(), m;
      if (!line) { flushParagraph(); flushList(); return; }
      if ((m = /^#{1,6}\s+(.*)$/.exec(line))) {
        flushParagraph(); flushList();
        out.push('<h2 class="part-heading">' + inline(m[1]) + "</h2>");
      } else if ((m = /^[-*\u2022]\s+(.*)$/.exec(line)) || (m = /^\d{1,3}[.)]\s+(.*)$/.exec(line))) {
        flushParagraph();
        var tag = /^\d/.test(line) ? "ol" : "ul";
        if (listTag && listTag !== tag) flushList();
        listTag = tag;
        list.push(m[1]);
      } else {
        flushList();
        paragraph.push(line);
      }
    });
    flushParagraph();
    flushList();
    return out.join("");
  }

  // -- DOM helpers -------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function safeClass(value) {
    return String(value || "").toLowerCase().replace(/[^a-z_]/g, "");
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  /* A reply taller than the view is shown from its top (with the question above it): an emergency
     notice leads the reply and must be what the patient sees. */
  function scrollToReply(msg) {
    var question = msg.previousElementSibling;
    var top = question && question.classList.contains("msg-user") ? question : msg;
    var height = msg.getBoundingClientRect().bottom - top.getBoundingClientRect().top;
    if (height <= log.clientHeight - 16) { scrollToEnd(); return; }
    log.scrollTop += top.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
  }

  function guideLink(quote) {
    if (!config.guideUrl || !SAFE_URL.test(config.guideUrl)) return "";
    var words = String(quote).split(/\s+/).filter(Boolean).slice(0, 6).join(" ");
    return config.guideUrl + "#:~:text=" + encodeURIComponent(words);
  }

  // -- rendering a reply ---------------------------------------------------------------------

  var PART_ROLES = { emergency: "alert", crisis: "alert", urgent: "alert", referral: "note" };
  var SAFETY_KINDS = { emergency: 1, crisis: 1, urgent: 1, notice: 1, referral: 1, caution: 1, error: 1 };

  /* The clinic's emergency, crisis and poison numbers become tap-to-call links in safety texts. */
  function linkPhones(html) {
    var numbers = (config.phoneNumbers || []).filter(function (n) { return /\d/.test(n); });
    if (!numbers.length) return html;
    numbers.sort(function (a, b) { return b.length - a.length; });
    var pattern = new RegExp("(^|[^\\w-])(" + numbers.map(function (n) {
      return escapeHtml(n).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("|") + ")(?![\\w-])", "g");
    var inLink = false;
    return html.split(/(<[^>]+>)/).map(function (piece) {
      if (piece.charAt(0) === "<") {
        inLink = /^<a /.test(piece) || (inLink && !/^<\/a/.test(piece));
        return piece;
      }
      if (inLink) return piece;
      return piece.replace(pattern, function (all, before, number) {
        return before + '<a class="tel" href="tel:' + number.replace(/[^\d+]/g, "") + '">' + number + "</a>";
      });
    }).join("");
  }

  /* With the guide published, each marker [n] opens the passage it quotes. */
  function linkMarkers(box, citations) {
    if (!config.guideUrl) return;
    Array.prototype.forEach.call(box.querySelectorAll("sup.cite"), function (sup) {
      var n = sup.textContent.replace(/\D/g, "");
      var c = citations.filter(function (x) { return String(x.n) === n; })[0];
      var href = c && guideLink(c.quote || "");
      if (!href) return;
      var a = el("a", "", sup.textContent);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      sup.textContent = "";
      sup.appendChild(a);
    });
  }

  function renderSources(citations) {
    var box = el("section", "part part-sources");
    box.appendChild(el("h2", "sources-title", t("sources", "title") || "Sources"));
    var list = el("ol", "sources");
    citations.forEach(function (c) {
      var item = el("li", "source");
      var details = el("details");
      var summary = el("summary");
      summary.appendChild(el("span", "source-n", "[" + c.n + "] "));
      summary.appendChild(el("span", "source-label", c.section || c.treatment || c.source || "the guide"));
      details.appendChild(summary);
      details.appendChild(el("blockquote", "quote", c.quote || ""));
      var href = guideLink(c.quote || "");
      if (href) {
        var a = el("a", "guide-link", t("sources", "read_in_guide") || "Read this in the guide");
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        details.appendChild(a);
      }
      item.appendChild(details);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  /* The referral's first paragraph (its emergency line) and the rest, as webapp/rendering.py splits it. */
  function renderReferral(box, markdown, compact) {
    var paragraphs = String(markdown || "").trim().split(/\n\s*\n/).filter(function (p) { return p.trim(); });
    if (!compact || paragraphs.length < 2) {
      box.innerHTML = linkPhones(renderMarkdown(markdown));
      return;
    }
    box.innerHTML = linkPhones(renderMarkdown(paragraphs[0]));
    var more = el("details", "referral-more");
    more.appendChild(el("summary", "referral-toggle", t("referral", "more") || "More"));
    var rest = el("div");
    rest.innerHTML = linkPhones(renderMarkdown(paragraphs.slice(1).join("\n\n")));
    more.appendChild(rest);
    box.appendChild(more);
  }

  /* "Book / call the clinic" under answers that cite a hands-on treatment, found nothing or are about the clinic;
     never under a red flag (the rule of webapp/links.py). */
  function suggestsVisit(data) {
    if ((data.triage || "none") !== "none") return false;
    if (data.kind === "no_answer" || data.kind === "clinic") return true;
    var topics = config.visitTopics || [];
    return (data.citations || []).some(function (c) { return topics.indexOf(c.treatment) >= 0; });
  }

  function renderParts(data, compact) {
    var parts = Array.isArray(data.parts) && data.parts.length ? data.parts : [{ kind: "answer", markdown: data.answer || "" }];
    var citations = Array.isArray(data.citations) ? data.citations : [];
    var wrap = el("div", "reply");
    parts.forEach(function (part) {
      var kind = safeClass(part.kind) || "answer";
      if (kind === "sources") {
        if (citations.length) wrap.appendChild(renderSources(citations));
        return;
      }
      if (kind === "referral" && suggestsVisit(data)) {
        var links = contactLinks("action");
        if (links.length) {
          var nav = el("nav", "actions");
          nav.setAttribute("aria-label", t("actions", "label") || "Talk to a person");
          links.forEach(function (a) { nav.appendChild(a); });
          wrap.appendChild(nav);
        }
      }
      var prompt = safeClass(part.prompt); // which clinic text: "risk_pregnancy", "label_limit"
      var box = el(kind === "referral" ? "aside" : "section", "part part-" + kind + (prompt ? " prompt-" + prompt : ""));
      if (PART_ROLES[kind]) box.setAttribute("role", PART_ROLES[kind]);
      if (kind === "referral") {
        renderReferral(box, part.markdown, compact);
      } else {
        var body = renderMarkdown(part.markdown); // escaped first, see renderMarkdown
        box.innerHTML = SAFETY_KINDS[kind] ? linkPhones(body) : body;
        if (kind === "answer" || kind === "cross") linkMarkers(box, citations);
      }
      wrap.appendChild(box);
    });
    return wrap;
  }

  var THUMB = "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z";

  /* A thumb icon drawn with DOM calls (no emoji font needed); turned upside down by CSS for "not helpful". */
  function thumb() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", THUMB);
    svg.appendChild(path);
    return svg;
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* Thumbs for one answer: a changed vote updates the stored one (same id); a thumbs-down offers reasons. */
  function feedbackBar(item) {
    var bar = el("div", "feedback");
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", t("feedback", "question") || "Was this helpful?");
    bar.appendChild(el("span", "feedback-label", t("feedback", "question") || "Was this helpful?"));
    var up = el("button", "vote vote-up");
    var down = el("button", "vote vote-down");
    [[up, "up"], [down, "down"]].forEach(function (pair) {
      pair[0].type = "button";
      pair[0].appendChild(thumb());
      pair[0].setAttribute("aria-label", t("feedback", pair[1]) || pair[1]);
      bar.appendChild(pair[0]);
    });
    var status = el("p", "feedback-status");
    status.setAttribute("role", "status");
    bar.appendChild(status);
    var reasons = el("div", "reasons");
    reasons.setAttribute("role", "group");
    reasons.setAttribute("aria-label", t("feedback", "reason_prompt") || "What was wrong?");
    reasons.appendChild(el("span", "reasons-label", t("feedback", "reason_prompt") || "What was wrong?"));
    var chips = [];
    var labels = (texts.feedback && texts.feedback.reasons) || {};
    Object.keys(labels).forEach(function (key) {
      var chip = el("button", "reason", labels[key]);
      chip.type = "button";
      chip.setAttribute("data-reason", key);
      chip.addEventListener("click", function () { vote("down", key, t("feedback", "reason_thanks")); });
      chips.push(chip);
      reasons.appendChild(chip);
    });
    bar.appendChild(reasons);

    function show() {
      up.setAttribute("aria-pressed", item.vote === "up" ? "true" : "false");
      down.setAttribute("aria-pressed", item.vote === "down" ? "true" : "false");
      reasons.hidden = item.vote !== "down";
      chips.forEach(function (c) { c.setAttribute("aria-pressed", c.getAttribute("data-reason") === item.reason ? "true" : "false"); });
    }
    function vote(value, reason, thanks) {
      item.vote = value;
      item.reason = value === "down" ? reason : null;
      show();
      save();
      var body = { id: item.id, question: item.question, answer: item.data.answer, vote: value };
      if (item.reason) body.reason = item.reason;
      fetch("/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (r) { status.textContent = r.ok ? thanks : t("feedback", "failed"); })
        .catch(function () { status.textContent = t("feedback", "failed"); });
    }
    up.addEventListener("click", function () { vote("up", null, t("feedback", "thanks")); });
    down.addEventListener("click", function () { vote("down", null, t("feedback", "thanks")); });
    show();
    return bar;
  }

  function showUser(text) {
    var msg = el("div", "msg msg-user");
    msg.appendChild(el("span", "sr-only", "You said: "));
    msg.appendChild(el("p", "user-text", text));
    log.appendChild(msg);
    return msg;
  }

  /* A reply on screen; the first of a conversation shows the referral whole, later ones compact. */
  function showReply(item, compact) {
    var data = item.data;
    var msg = el("div", "msg msg-bot kind-" + safeClass(data.kind) + " triage-" + safeClass(data.triage));
    msg.appendChild(el("span", "sr-only", "Assistant: "));
    msg.appendChild(renderParts(data, compact));
    if (config.feedback && data.answer && data.kind !== "error") msg.appendChild(feedbackBar(item));
    log.appendChild(msg);
    return msg;
  }

  function repliesShown() {
    return items.filter(function (i) { return i.type === "reply"; }).length;
  }

  function addReply(data, question) {
    var item = { type: "reply", data: data, question: question, id: randomId(), vote: null, reason: null };
    var compact = repliesShown() > 0;
    items.push(item);
    save();
    scrollToReply(showReply(item, compact));
  }

  /* A reply made here (rate limit, bad request, network down): still ends with the referral.
     When the server triaged the refused message, its safety texts come first. */
  function addNotice(text, served) {
    var parts = served && Array.isArray(served.parts) && served.parts.length ? served.parts.slice() : [];
    var referral = parts.length ? parts.pop() : (config.referral ? { kind: "referral", markdown: config.referral } : null);
    parts.push({ kind: "notice", markdown: text });
    if (referral) parts.push(referral);
    addReply({ kind: "error", triage: (served && served.triage) || "none", parts: parts, citations: [] }, "");
  }

  // -- the conversation kept for this browser tab -------------------------------------------------

  /* What the API needs: the questions and the answers' text, newest last. */
  function history() {
    var out = [];
    items.forEach(function (item, i) {
      var next = items[i + 1];
      if (item.type === "user" && next && next.type === "reply" && next.data.kind !== "error") {
        out.push({ role: "user", content: item.text });
        out.push({ role: "assistant", content: next.data.answer || "" });
      }
    });
    return out;
  }

  function save() {
    try {
      items = items.slice(-MAX_STORED);
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(items));
    } catch (e) { /* storage off or full: the conversation still works on this page */ }
    tools.hidden = !items.length;
  }

  function restore() {
    var stored = [];
    try { stored = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "[]"); } catch (e) { stored = []; }
    if (!Array.isArray(stored) || !stored.length) return;
    items = stored.filter(function (i) { return i && (i.type === "user" ? typeof i.text === "string" : i.type === "reply" && i.data); });
    if (!items.length) return;
    hideWelcome();
    var replies = 0;
    items.forEach(function (item) {
      if (item.type === "user") showUser(item.text);
      else showReply(item, replies++ > 0);
    });
    tools.hidden = false;
    scrollToEnd();
  }

  function hideWelcome() {
    if (welcome.parentNode) welcome.remove(); // kept: a new conversation shows it again
  }

  function clearConversation() {
    items = [];
    try { window.sessionStorage.removeItem(STORE_KEY); } catch (e) { /* nothing stored */ }
    Array.prototype.slice.call(log.children).forEach(function (child) { child.remove(); });
    log.appendChild(welcome);
    tools.hidden = true;
    input.focus();
  }

  newChat.addEventListener("click", function () {
    if (confirmBox.showModal) {
      confirmBox.showModal();
      document.getElementById("confirm-no").focus(); // the safe choice is the default
    } else if (window.confirm(t("menu", "confirm"))) {
      clearConversation();
    }
  });
  document.getElementById("confirm-no").addEventListener("click", function () {
    confirmBox.close();
    newChat.focus();
  });
  document.getElementById("confirm-yes").addEventListener("click", function () {
    confirmBox.close();
    clearConversation();
  });

  // -- asking ------------------------------------------------------------------------------------

  function requestBody(message) {
    var recent = history().slice(-maxHistory);
    var body = JSON.stringify({ message: message, history: recent });
    while (recent.length && new Blob([body]).size > MAX_BODY) {
      recent = recent.slice(2); // drop the oldest question and its answer
      body = JSON.stringify({ message: message, history: recent });
    }
    return body;
  }

  function setBusy(value) {
    busy = value;
    updateInput();
    log.setAttribute("aria-busy", value ? "true" : "false");
  }

  function ask(text) {
    var message = String(text || "");
    if (busy || !message.trim()) return; // an empty message is not a turn
    hideWelcome();
    var body = requestBody(message);
    showUser(message);
    items.push({ type: "user", text: message });
    save();
    input.value = "";
    autosize();
    setBusy(true);
    var pending = el("p", "pending", t("page", "pending") || "Looking in the guide\u2026");
    pending.setAttribute("role", "status");
    log.appendChild(pending);
    scrollToEnd();

    fetch("/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        pending.remove();
        if (response.ok) {
          addReply(data, message);
        } else if (response.status === 429) {
          var wait = parseInt(response.headers.get("Retry-After") || "60", 10);
          addNotice("You're sending messages very quickly. Please wait " + wait + " seconds and ask again.", data);
        } else if (response.status === 400 && message.length > maxChars) {
          addNotice("That message is too long (" + message.length + " characters). Please keep it under " + maxChars + ".", data);
        } else {
          addNotice(data.error ? "Sorry, I couldn't take that message: " + data.error + "." : (config.error || "Sorry, something went wrong."), data);
        }
      });
    }).catch(function () {
      pending.remove();
      addNotice(config.error || "Sorry, I couldn't reach the clinic's assistant. Please try again in a moment.");
    }).then(function () {
      setBusy(false);
      input.focus();
    });
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
    updateInput();
  }

  /* Send only with something to send; a counter near the limit and a notice past it (never a silent cut:
     a message too long is still sent, and checked for warning signs, when the patient insists). */
  function updateInput() {
    var count = input.value.length;
    send.disabled = busy || !input.value.trim();
    var over = count > maxChars;
    var near = count >= Math.floor(maxChars * 0.8);
    counter.hidden = !near;
    counter.classList.toggle("too-long", over);
    counter.textContent = near ? t("input", over ? "too_long" : "counter")
      .replace("{count}", count.toLocaleString("en-US")).replace("{limit}", maxChars.toLocaleString("en-US")) : "";
    input.setAttribute("aria-invalid", over ? "true" : "false");
    if (near) input.setAttribute("aria-describedby", "counter"); else input.removeAttribute("aria-describedby");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(input.value);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(input.value);
    }
  });
  input.addEventListener("input", autosize);

  // -- talking to the snippet on the clinic's page ----------------------------------------------

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && embedded && !(confirmBox.open)) window.parent.postMessage({ type: "clinic-chat:close" }, "*");
  });
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data) return;
    if (event.data.type === "clinic-chat:focus") input.focus();
    if (event.data.type === "clinic-chat:theme") { themeWanted = String(event.data.theme || "auto"); applyTheme(); }
  });

  restore();
  updateInput();
  root.setAttribute("data-ready", "true"); // the handlers are in place (the tests wait for this, not for time)
  if (!embedded) input.focus();
})();
