/*
 * The /widget page: a light chat that calls /api/ask on this origin.
 *
 * Safety of what it shows: every text from the network or the patient is either
 * set with textContent, or (the assistant's Markdown) HTML-escaped FIRST and only
 * then given a tiny subset of formatting (bold, http(s) links, lists, paragraphs,
 * headings, citation markers). Nothing unescaped ever reaches innerHTML.
 *
 * Each request carries the conversation so far (`history`), so follow-ups such as
 * "how long for?" are read in context.
 */
(function () {
  "use strict";

  var config = {};
  try { config = JSON.parse(document.body.getAttribute("data-config") || "{}"); } catch (e) { config = {}; }
  var params = new URLSearchParams(window.location.search);
  var embedded = params.get("embedded") === "1" && window.parent !== window;
  var maxChars = config.maxMessageChars || 2000;
  var maxHistory = config.maxHistoryMessages || 12;
  var MAX_BODY = 60000; // bytes; the server refuses more than 64 KiB

  var log = document.getElementById("log");
  var welcome = document.getElementById("welcome");
  var form = document.getElementById("compose");
  var input = document.getElementById("question");
  var send = document.getElementById("send");
  var history = []; // [{role, content}] as the API expects
  var busy = false;

  // -- setup ---------------------------------------------------------------------------

  var accent = params.get("accent") || "";
  if (/^#(?:[0-9a-fA-F]{3}){1,2}$/.test(accent)) {
    document.documentElement.style.setProperty("--accent", accent);
    document.documentElement.style.setProperty("--on-accent", readableOn(accent));
  }
  var title = (params.get("title") || "").trim().slice(0, 60);
  if (title) document.getElementById("title").textContent = title;
  if (embedded) document.body.classList.add("embedded"); // the snippet's bar shows the title
  if (config.bookingUrl && /^https?:\/\//i.test(config.bookingUrl)) {
    var book = document.getElementById("book");
    book.href = config.bookingUrl;
    book.hidden = false;
    document.body.classList.add("has-booking");
  }
  if (config.emergencyNumber) document.getElementById("emergency-number").textContent = config.emergencyNumber;

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
    var out = [], paragraph = [], items = [], listTag = "";
    function flushParagraph() {
      if (paragraph.length) out.push("<p>" + paragraph.map(inline).join("<br>") + "</p>");
      paragraph = [];
    }
    function flushList() {
      if (items.length) out.push("<" + listTag + ">" + items.map(function (i) { return "<li>" + inline(i) + "</li>"; }).join("") + "</" + listTag + ">");
      items = [];
      listTag = "";
    }
    lines.forEach(function (raw) {
      var line = raw.trim(), m;
      if (!line) { flushParagraph(); flushList(); return; }
      if ((m = /^#{1,6}\s+(.*)$/.exec(line))) {
        flushParagraph(); flushList();
        out.push('<h3 class="part-heading">' + inline(m[1]) + "</h3>");
      } else if ((m = /^[-*\u2022]\s+(.*)$/.exec(line)) || (m = /^\d{1,3}[.)]\s+(.*)$/.exec(line))) {
        flushParagraph();
        var tag = /^\d/.test(line) ? "ol" : "ul";
        if (listTag && listTag !== tag) flushList();
        listTag = tag;
        items.push(m[1]);
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
    if (!config.guideUrl || !/^https?:\/\//i.test(config.guideUrl)) return "";
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

  function renderSources(citations) {
    var box = el("section", "part part-sources");
    box.appendChild(el("h3", "sources-title", "Sources"));
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
        var a = el("a", "guide-link", "Read this in the guide");
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

  function renderParts(parts, citations) {
    var wrap = el("div", "reply");
    parts.forEach(function (part) {
      var kind = safeClass(part.kind) || "answer";
      if (kind === "sources") {
        if (citations && citations.length) wrap.appendChild(renderSources(citations));
        return;
      }
      var prompt = safeClass(part.prompt); // which clinic text: "risk_pregnancy", "label_limit"
      var box = el(kind === "referral" ? "aside" : "section", "part part-" + kind + (prompt ? " prompt-" + prompt : ""));
      if (PART_ROLES[kind]) box.setAttribute("role", PART_ROLES[kind]);
      var body = renderMarkdown(part.markdown); // escaped first, see renderMarkdown
      box.innerHTML = SAFETY_KINDS[kind] ? linkPhones(body) : body;
      wrap.appendChild(box);
    });
    return wrap;
  }

  var THUMB = "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z";

  /* A thumb icon drawn with DOM calls (no emoji font needed); upside down for "not helpful". */
  function thumb(down) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", THUMB);
    svg.appendChild(path);
    return svg;
  }

  /* A random id for one answer's votes: the server keeps one vote per id (a changed vote replaces it), nothing else. */
  function newVoteId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function feedbackBar(question, answer) {
    var voteId = newVoteId();
    var bar = el("div", "feedback");
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", "Was this answer helpful?");
    var label = el("span", "feedback-label", "Helpful?");
    var up = el("button", "vote");
    var down = el("button", "vote vote-down");
    up.appendChild(thumb(false));
    down.appendChild(thumb(true));
    up.type = down.type = "button";
    up.setAttribute("aria-label", "Yes, helpful");
    down.setAttribute("aria-label", "No, not helpful");
    up.setAttribute("aria-pressed", "false");
    down.setAttribute("aria-pressed", "false");
    function vote(value, button) {
      up.disabled = down.disabled = true;
      button.setAttribute("aria-pressed", "true");
      fetch("/api/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question: question, answer: answer, vote: value, vote_id: voteId })
      }).then(function (r) {
        label.textContent = r.ok ? "Thanks for the feedback." : "Sorry, your feedback was not saved.";
      }).catch(function () {
        label.textContent = "Sorry, your feedback was not saved.";
      });
    }
    up.addEventListener("click", function () { vote("up", up); });
    down.addEventListener("click", function () { vote("down", down); });
    bar.appendChild(label);
    bar.appendChild(up);
    bar.appendChild(down);
    return bar;
  }

  function addUserMessage(text) {
    var msg = el("div", "msg msg-user");
    msg.appendChild(el("span", "sr-only", "You said: "));
    msg.appendChild(el("p", "user-text", text || "(empty message)"));
    log.appendChild(msg);
    scrollToEnd();
  }

  function addReply(data, question) {
    var msg = el("div", "msg msg-bot kind-" + safeClass(data.kind) + " triage-" + safeClass(data.triage));
    msg.appendChild(el("span", "sr-only", "Assistant: "));
    var parts = Array.isArray(data.parts) && data.parts.length ? data.parts : [{ kind: "answer", markdown: data.answer || "" }];
    msg.appendChild(renderParts(parts, Array.isArray(data.citations) ? data.citations : []));
    if (config.feedback && data.answer && data.kind !== "error") msg.appendChild(feedbackBar(question, data.answer));
    log.appendChild(msg);
    scrollToReply(msg);
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

  // -- asking ------------------------------------------------------------------------------------

  function requestBody(message) {
    var recent = history.slice(-maxHistory);
    var body = JSON.stringify({ message: message, history: recent });
    while (recent.length && new Blob([body]).size > MAX_BODY) {
      recent = recent.slice(2); // drop the oldest question and its answer
      body = JSON.stringify({ message: message, history: recent });
    }
    return body;
  }

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
  }

  function ask(text) {
    if (busy) return;
    var message = String(text || "");
    if (welcome) { welcome.remove(); welcome = null; }
    addUserMessage(message);
    input.value = "";
    autosize();
    setBusy(true);
    var pending = el("p", "pending", "Looking in the guide\u2026");
    pending.setAttribute("role", "status");
    log.appendChild(pending);
    scrollToEnd();

    fetch("/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: requestBody(message)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        pending.remove();
        if (response.ok) {
          addReply(data, message);
          history.push({ role: "user", content: message });
          history.push({ role: "assistant", content: data.answer || "" });
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
    if (event.key === "Escape" && embedded) window.parent.postMessage({ type: "clinic-chat:close" }, "*");
  });
  window.addEventListener("message", function (event) {
    if (event.source === window.parent && event.data && event.data.type === "clinic-chat:focus") input.focus();
  });
  if (!embedded) input.focus();
})();
