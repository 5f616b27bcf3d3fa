/* MGI Assistant: progressive enhancement of the chat page (vanilla JS, no inline handlers).
 *
 * Without this file every page still works: the ask form POSTs and the server redirects.
 * With it: questions go to the JSON API (POST /api/conversations[/{id}/ask]), the new turn
 * is fetched as server-rendered HTML (/c/{id}/turns/{n}, autoescaped by Jinja2) and appended
 * without a reload; a status line says "Searching the documents…" while the answers region
 * is aria-busy; focus moves to the new answer; "Copy citation" buttons copy a formatted
 * citation to the clipboard.
 */
(function () {
  "use strict";

  var form = document.getElementById("ask-form");
  var answers = document.getElementById("answers");
  var status = document.getElementById("status");
  var errorBox = document.getElementById("form-error");

  function say(text) {
    if (status) { status.textContent = text; }
  }

  function revealCopyButtons(root) {
    root.querySelectorAll("button.copy-citation[hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function focusFromHash() {
    var match = /^#turn-(\d+)$/.exec(window.location.hash);
    var heading = match && document.getElementById("turn-" + match[1] + "-q");
    if (heading) { heading.focus(); }
    var quote = window.location.hash === "#quote" && document.getElementById("quote");
    if (quote) { /* source viewer: the highlighted quote in the middle of the screen, after
                    the browser's own jump to the #quote fragment */
      quote.focus({ preventScroll: true });
      var centre = function () { quote.scrollIntoView({ block: "center" }); };
      if (document.readyState === "complete") { centre(); }
      else { window.addEventListener("load", function () { window.setTimeout(centre, 0); }); }
    }
  }

  /* -- copy citation ---------------------------------------------------------------- */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy is not allowed")); }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy-citation") : null;
    if (!button) { return; }
    var label = button.firstChild;
    copyText(button.getAttribute("data-citation") || "").then(function () {
      say("Citation copied to the clipboard.");
      if (label && label.nodeType === 3) {
        label.nodeValue = "Copied";
        window.setTimeout(function () { label.nodeValue = "Copy citation"; }, 2000);
      }
    }, function () {
      say("Could not copy. Open “Cite as” and copy the text by hand.");
    });
  });

  /* -- asking through the API ------------------------------------------------------- */
  function showError(message) {
    if (!errorBox) { return; }
    errorBox.textContent = message;
    errorBox.hidden = !message;
    var question = document.getElementById("question");
    if (question) {
      if (message) { question.setAttribute("aria-invalid", "true"); question.focus(); }
      else { question.removeAttribute("aria-invalid"); }
    }
  }

  function selectedFilters() {
    var filters = {};
    ["document", "kind", "language"].forEach(function (name) {
      var values = Array.prototype.map.call(
        form.querySelectorAll('input[name="' + name + '"]:checked'),
        function (input) { return input.value; });
      if (values.length) { filters[name] = values; }
    });
    return Object.keys(filters).length ? filters : null;
  }

  function setBusy(busy) {
    var button = document.getElementById("ask-button");
    answers.setAttribute("aria-busy", busy ? "true" : "false");
    form.setAttribute("aria-busy", busy ? "true" : "false");
    if (button) {
      button.disabled = busy;
      button.textContent = busy ? "Searching…" : "Ask";
    }
    if (busy) { say("Searching the documents…"); }
  }

  function errorOf(response) {
    return response.json().then(function (body) {
      return (body && body.error) || ("The server answered " + response.status + ".");
    }, function () { return "The server answered " + response.status + "."; });
  }

  function useConversation(id) {
    answers.setAttribute("data-conversation", id);
    form.setAttribute("action", "/c/" + id + "/ask");
    document.querySelectorAll("#export a[data-format]").forEach(function (link) {
      var format = link.getAttribute("data-format");
      link.setAttribute("href", format === "page" ? "/c/" + id + "/export"
        : "/api/conversations/" + id + "/export?format=" + format);
    });
    if (window.location.pathname !== "/c/" + id) {
      window.history.pushState({ conversation: id }, "", "/c/" + id);
    }
  }

  function ensureConversation() {
    var id = answers.getAttribute("data-conversation");
    if (id) { return Promise.resolve(id); }
    return fetch("/api/conversations", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: "{}"
    }).then(function (response) {
      if (!response.ok) { return errorOf(response).then(function (m) { throw new Error(m); }); }
      return response.json();
    }).then(function (conversation) {
      useConversation(conversation.id);
      return conversation.id;
    });
  }

  function appendTurn(id, n) {
    return fetch("/c/" + id + "/turns/" + encodeURIComponent(n), { headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("could not load the answer (" + response.status + ")"); }
        return response.text();
      }).then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        var turn = template.content.querySelector("article.turn");
        if (!turn) { throw new Error("the answer could not be displayed"); }
        var preview = document.getElementById("turn-preview");
        if (preview) { preview.remove(); }
        answers.appendChild(turn);
        revealCopyButtons(turn);
        return turn;
      });
  }

  function ask(event) {
    var question = document.getElementById("question");
    var text = question.value;
    if (!text.trim()) {
      event.preventDefault();
      showError("question is empty");
      return;
    }
    if (!window.fetch || !window.Promise) { return; } /* old browser: plain form POST */
    event.preventDefault();
    showError("");
    setBusy(true);
    var id;
    ensureConversation().then(function (conversationId) {
      id = conversationId;
      return fetch("/api/conversations/" + id + "/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ question: text, filters: selectedFilters() })
      });
    }).then(function (response) {
      if (!response.ok) { return errorOf(response).then(function (m) { throw new Error(m); }); }
      var n = response.headers.get("X-Conversation-Turn");
      return response.json().then(function (answer) {
        return appendTurn(id, n).then(function (turn) { return [answer, turn]; });
      });
    }).then(function (result) {
      var answer = result[0];
      var turn = result[1];
      question.value = "";
      var label = form.querySelector('label[for="question"]');
      if (label) { label.textContent = "Follow-up question"; }
      var exportSection = document.getElementById("export");
      if (exportSection) { exportSection.hidden = false; }
      setBusy(false);
      say(answer.refused ? "The documents do not answer this question; the closest passages are listed."
        : (answer.outcome === "partly" ? "Partly answered: the documents discuss the subject but not the detail asked. "
          : (answer.answer_span ? "Answer: " + answer.answer_span.text + ". " : "")) +
          "Answer ready: " + answer.citations.length + " quoted passage" +
          (answer.citations.length === 1 ? "" : "s") + ".");
      var heading = turn.querySelector(".question");
      if (heading) { heading.focus(); }
    }).catch(function (problem) {
      setBusy(false);
      say("");
      showError(problem && problem.message ? problem.message : "Something went wrong.");
    });
  }

  revealCopyButtons(document);
  if (form && answers) {
    form.addEventListener("submit", ask);
    var question = document.getElementById("question");
    if (question) {
      question.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form.requestSubmit) {
          form.requestSubmit();
        }
      });
    }
    window.addEventListener("popstate", function () { window.location.reload(); });
  }
  focusFromHash();
}());
