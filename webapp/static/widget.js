/*
 * Clinic chat widget: one line on the clinic's site.
 *
 *   <script src="https://BOT-HOST/widget.js" defer
 *           data-title="Ask about back spasms" data-position="right"
 *           data-accent="#0f766e" data-open="false" data-theme="auto"></script>
 *
 * Draws a chat button; clicking it opens a small panel that frames BOT-HOST/widget.
 * It touches nothing else on the page: its elements live in a shadow root (no global
 * CSS), its only global is window.ClinicChatWidget; on a phone, while the panel covers
 * the screen, the page behind it does not scroll. Close it with its button, the launcher
 * (which shows a cross while open) or Escape. On phones (<= 480px) the panel fills the
 * screen and Tab stays inside it. data-theme: "light", "dark", or "auto" (default: the
 * host page's <html data-theme="dark|light"> when set, else the system's setting).
 */
(function () {
  "use strict";
  if (window.ClinicChatWidget) return; // included twice: keep the first

  var script = document.currentScript;
  if (!script) {
    var found = document.querySelectorAll('script[src*="widget.js"]');
    script = found[found.length - 1];
  }
  if (!script || !script.src || !document.documentElement.attachShadow) return;

  var TEXT = {/*SNIPPET_CONFIG*/}; // the clinic's name and labels, filled by the server
  var botOrigin = new URL(script.src, window.location.href).origin;
  var data = script.dataset || {};
  var fallback = TEXT.title || "Questions about back spasms";
  var title = (data.title || fallback).trim().slice(0, 60) || fallback;
  var side = data.position === "left" ? "left" : "right";
  var accent = /^#(?:[0-9a-fA-F]{3}){1,2}$/.test(data.accent || "") ? data.accent : "#0f766e";
  var openOnLoad = data.open === "" || data.open === "true" || data.open === "1";
  var themeOption = data.theme === "light" || data.theme === "dark" ? data.theme : "auto";
  var onAccent = readableOn(accent);
  var openLabel = (TEXT.open || "Open chat") + ": " + title;
  var closeLabel = (TEXT.close || "Close chat") + ": " + title;
  var phone = window.matchMedia("(max-width: 480px)");
  var systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  // The one global; its methods do nothing until the widget is on the page.
  var api = { open: noop, close: noop, toggle: noop, isOpen: function () { return false; } };
  window.ClinicChatWidget = api;
  function noop() {}

  /* Black or white, whichever reads better on the clinic's accent colour (WCAG relative luminance). */
  function readableOn(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    var lum = [0, 2, 4].map(function (i) {
      var c = parseInt(h.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return (1.05 / (l + 0.05)) >= ((l + 0.05) / 0.05) ? "#ffffff" : "#111111";
  }

  /* "dark" or "light": the snippet's option, else the host page's data-theme, else the system. */
  function theme() {
    if (themeOption !== "auto") return themeOption;
    var page = document.documentElement.getAttribute("data-theme");
    if (page === "dark" || page === "light") return page;
    return systemDark.matches ? "dark" : "light";
  }

  var CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z";
  var CROSS = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z";

  function start() {
    var css = [
      ":host{all:initial}",
      ".bubble{position:fixed;bottom:20px;" + side + ":20px;width:60px;height:60px;border-radius:50%;border:0;",
      "background:" + accent + ";color:" + onAccent + ";box-shadow:0 6px 20px rgba(0,0,0,.28);cursor:pointer;display:flex;",
      "align-items:center;justify-content:center;padding:0;z-index:2147483000}",
      ".bubble:hover{filter:brightness(1.08)}",
      ".bubble:focus-visible,.close:focus-visible{outline:3px solid #1d4ed8;outline-offset:3px}",
      ".dark .bubble:focus-visible{outline-color:#fde047}",
      ".bubble svg{width:30px;height:30px;fill:currentColor}",
      ".panel{position:fixed;bottom:92px;" + side + ":20px;width:380px;height:620px;max-width:calc(100vw - 40px);",
      "max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:#fff;border-radius:14px;",
      "overflow:hidden;box-shadow:0 14px 44px rgba(0,0,0,.3);z-index:2147483001;overscroll-behavior:contain;",
      "font:400 16px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;",
      "visibility:hidden;opacity:0;transform:translateY(16px) scale(.98);transform-origin:bottom " + side + ";",
      "transition:opacity .18s ease,transform .18s ease,visibility 0s linear .18s}",
      ".panel.open{visibility:visible;opacity:1;transform:none;transition:opacity .18s ease,transform .18s ease,visibility 0s}",
      ".dark .panel{background:#0f172a}",
      ".bar{display:flex;align-items:center;gap:8px;min-height:56px;padding:4px 6px 4px 16px;background:" + accent + ";color:" + onAccent + "}",
      ".bar-text{flex:1;min-width:0}",
      ".bar-title{margin:0;font-size:16px;font-weight:700;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
      ".bar-label{margin:1px 0 0;font-size:13px;line-height:1.3}",
      ".close{width:44px;height:44px;border:0;border-radius:8px;background:transparent;cursor:pointer;",
      "display:flex;align-items:center;justify-content:center;padding:0;color:inherit}",
      ".close svg{width:24px;height:24px;fill:currentColor}",
      ".close:hover{background:rgba(255,255,255,.18)}",
      ".trap{position:absolute;width:1px;height:1px;overflow:hidden}",
      "iframe{flex:1;width:100%;border:0;display:block;background:transparent;color-scheme:normal}",
      "@media (max-width:480px){.panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;max-width:none;",
      "max-height:none;border-radius:0}.panel.open~.bubble{display:none}}",
      "@media (prefers-reduced-motion:reduce){.panel,.panel.open{transition:none;transform:none}}"
    ].join("");

    var host = document.createElement("div");
    host.setAttribute("data-clinic-chat-widget", "");
    host.style.cssText = "all:initial;position:fixed;width:0;height:0;bottom:0;" + side + ":0;z-index:2147483000";
    var root = host.attachShadow({ mode: "open" });

    // A constructed stylesheet is not blocked by a host page's style-src CSP; <style> is the fallback.
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      var style = document.createElement("style");
      style.textContent = css;
      root.appendChild(style);
    }

    function make(tag, className, text) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (text) node.textContent = text;
      return node;
    }
    function icon(d) {
      var ns = "http://www.w3.org/2000/svg";
      var svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("aria-hidden", "true");
      var path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
      return svg;
    }

    var wrap = make("div", "wrap");
    var panel = make("div", "panel");
    panel.id = "clinic-chat-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", title);

    // On a phone the panel is the whole screen: Tab past either end comes back inside.
    var trapStart = make("span", "trap");
    var trapEnd = make("span", "trap");

    var bar = make("div", "bar");
    var barText = make("div", "bar-text");
    barText.appendChild(make("h2", "bar-title", title));
    // Who answers: the clinic's name and that it is an automated assistant, not a person.
    barText.appendChild(make("p", "bar-label", [TEXT.clinic, TEXT.label].filter(Boolean).join(" \u00b7 ")));
    var closeButton = make("button", "close");
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", TEXT.close || "Close chat");
    closeButton.appendChild(icon(CROSS));
    bar.appendChild(barText);
    bar.appendChild(closeButton);
    panel.appendChild(trapStart);
    panel.appendChild(bar);

    var bubble = make("button", "bubble");
    bubble.type = "button";
    bubble.setAttribute("aria-controls", panel.id);
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", openLabel);
    var chatIcon = icon(CHAT);
    var crossIcon = icon(CROSS);
    crossIcon.style.display = "none";
    bubble.appendChild(chatIcon);
    bubble.appendChild(crossIcon);

    wrap.appendChild(panel);
    wrap.appendChild(bubble);
    root.appendChild(wrap);

    var frame = null;
    var loaded = false;
    var isOpen = false;
    var pageOverflow = null; // the host page's own overflow, put back on close

    function applyTheme() {
      var now = theme();
      wrap.classList.toggle("dark", now === "dark");
      if (frame && loaded) frame.contentWindow.postMessage({ type: "clinic-chat:theme", theme: now }, botOrigin);
    }

    function ensureFrame() {
      if (frame) return;
      frame = document.createElement("iframe");
      frame.title = title;
      frame.src = botOrigin + "/widget?embedded=1&title=" + encodeURIComponent(title) + "&accent=" + encodeURIComponent(accent) + "&theme=" + theme();
      // Our own page, but it has no business navigating the clinic's page.
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
      frame.addEventListener("load", function () {
        loaded = true; // before this the frame is about:blank: a message to botOrigin would be refused (a console error)
        applyTheme();
        if (isOpen) focusFrame();
      });
      panel.appendChild(frame);
      panel.appendChild(trapEnd);
    }

    function focusFrame() {
      frame.focus();
      if (loaded) frame.contentWindow.postMessage({ type: "clinic-chat:focus" }, botOrigin);
    }

    /* On a phone, while open: Tab stays in the panel and the page behind does not scroll. */
    function modal(on) {
      on = on && phone.matches;
      panel.setAttribute("aria-modal", on ? "true" : "false");
      trapStart.tabIndex = trapEnd.tabIndex = on ? 0 : -1;
      var style = document.documentElement.style;
      if (on && pageOverflow === null) {
        pageOverflow = style.overflow;
        style.overflow = "hidden";
      } else if (!on && pageOverflow !== null) {
        style.overflow = pageOverflow;
        pageOverflow = null;
      }
    }
    trapStart.addEventListener("focus", focusFrame);
    trapEnd.addEventListener("focus", function () { closeButton.focus(); });

    function setLauncher() {
      bubble.setAttribute("aria-expanded", isOpen ? "true" : "false");
      bubble.setAttribute("aria-label", isOpen ? closeLabel : openLabel);
      chatIcon.style.display = isOpen ? "none" : "";
      crossIcon.style.display = isOpen ? "" : "none";
    }

    function open() {
      ensureFrame();
      isOpen = true;
      panel.classList.add("open");
      setLauncher();
      modal(true);
      focusFrame();
    }

    function close() {
      if (!isOpen) return;
      isOpen = false;
      panel.classList.remove("open");
      setLauncher();
      modal(false);
      bubble.focus();
    }

    function toggle() {
      if (isOpen) close(); else open();
    }

    bubble.addEventListener("click", toggle);
    closeButton.addEventListener("click", close);
    document.addEventListener("keydown", function (event) {
      if (isOpen && event.key === "Escape") close();
    });
    // Escape pressed inside the frame: the widget page tells us (only our frame is listened to).
    window.addEventListener("message", function (event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== botOrigin) return;
      if (event.data && event.data.type === "clinic-chat:close") close();
    });
    // The theme follows the host page's data-theme and the system; the phone layout follows the width.
    new MutationObserver(applyTheme).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    if (systemDark.addEventListener) systemDark.addEventListener("change", applyTheme);
    if (phone.addEventListener) phone.addEventListener("change", function () { modal(isOpen); });
    applyTheme();

    document.body.appendChild(host);
    api.open = open;
    api.close = close;
    api.toggle = toggle;
    api.isOpen = function () { return isOpen; };
    if (openOnLoad) open();
  }

  // The snippet may sit in <head> without defer: wait for <body> then.
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
