/// The style sheet and the one script of the pages, compiled into the binary: nothing is
/// fetched from anywhere else at run time (no CDN, no framework).
enum PageAssets {
    /// Table captions are for screen readers only: each table sits under a heading that
    /// says the same. Mobile first: one column at 360 px, wider tables scroll inside their box; larger
    /// screens only widen the column. Contrast and focus rings for keyboard users.
    static let css = """
    *{box-sizing:border-box}
    html{font-size:100%;-webkit-text-size-adjust:100%}
    body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;line-height:1.5;color:#1a1a1a;background:#f6f7f9}
    a{color:#0b4f9c}
    .skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
    .skip:focus{left:.5rem}
    header{background:#0b4f9c;color:#fff;padding:.5rem 1rem}
    header a{color:#fff}
    header .brand{font-weight:700;font-size:1.15rem;margin:0 0 .25rem}
    nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
    nav form{display:inline}
    nav button{background:none;border:0;color:#fff;text-decoration:underline;padding:0;font:inherit;min-height:0;cursor:pointer}
    main{max-width:60rem;margin:0 auto;padding:1rem}
    section{background:#fff;border:1px solid #d8dce2;border-radius:6px;padding:1rem;margin:0 0 1rem}
    h1{font-size:1.5rem;margin:.25rem 0 1rem}
    h2{font-size:1.2rem;margin:0 0 .5rem}
    .field{margin:0 0 .75rem}
    label{display:block;font-weight:600;margin-bottom:.2rem}
    input,select{width:100%;font:inherit;padding:.55rem;border:1px solid #8a93a0;border-radius:4px;min-height:2.75rem;background:#fff}
    small{display:block;color:#4a525c}
    button{font:inherit;padding:.55rem 1rem;min-height:2.75rem;border:0;border-radius:4px;background:#0b4f9c;color:#fff;cursor:pointer}
    button.secondary{background:#5a6470}
    button.danger{background:#a1261f}
    :focus-visible{outline:3px solid #f0a500;outline-offset:2px}
    .scroll{overflow-x:auto}
    table{border-collapse:collapse;width:100%;font-size:.95rem}
    caption{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
    th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e2e5ea;vertical-align:top}
    td form{display:inline}
    td button{min-height:2.25rem;padding:.3rem .7rem}
    .notice{padding:.6rem .8rem;border-radius:4px;background:#e7f3e8;border:1px solid #8bc28f;margin:0 0 1rem}
    .error{padding:.6rem .8rem;border-radius:4px;background:#fbe9e7;border:1px solid #d9776d;margin:0 0 1rem}
    .state{font-weight:700}
    .state[data-state=answered],.state[data-state=connected]{color:#17692b}
    .state[data-state=busy],.state[data-state=failed],.state[data-state=no-answer]{color:#a1261f}
    .inline{display:flex;gap:.5rem;flex-wrap:wrap;align-items:flex-end}
    .inline .field{flex:1 1 10rem;margin:0}
    footer{padding:0 1rem 1rem;max-width:60rem;margin:0 auto}
    dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0}
    dt{font-weight:600}dd{margin:0}
    @media (min-width:48rem){main{padding:1.5rem}.two{display:grid;grid-template-columns:1fr 1fr;gap:1rem}}
    """

    /// The status page's live view: follows the request's event stream (same origin,
    /// the session cookie) and rewrites each leg's state in the `aria-live` table. Without
    /// JavaScript the page refreshes itself instead (a `<noscript>` meta refresh).
    static let liveScript = """
    (function () {
      "use strict";
      var table = document.getElementById("legs");
      if (!table || !window.EventSource) { return; }
      var labels = JSON.parse(table.getAttribute("data-labels") || "{}");
      var terminal = ["completed", "failed", "cancelled"];
      function show(cell, keyword) {
        cell.setAttribute("data-state", keyword);
        cell.textContent = labels[keyword] || keyword;
      }
      var source = new EventSource(table.getAttribute("data-events"));
      source.addEventListener("leg", function (message) {
        var event = JSON.parse(message.data);
        var rows = table.tBodies[0].rows;
        for (var i = 0; i < event.legs.length && i < rows.length; i++) {
          show(rows[i].querySelector(".state"), event.legs[i].state);
        }
        var request = document.getElementById("request-state");
        if (request) { show(request, event.state); }
        if (terminal.indexOf(event.state) >= 0) {
          source.close();
          var cancel = document.getElementById("cancel");
          if (cancel) { cancel.hidden = true; }
          var ended = document.getElementById("ended");
          if (ended) { ended.hidden = false; }
        }
      });
    })();
    """
}
