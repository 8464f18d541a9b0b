// Order Watch staff UI: act-by countdowns, and live boards fed by server-sent events.
// No framework and no build step; rows arrive rendered by the server.
(function () {
  "use strict";

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days > 0) { return days + "d " + hours + "h"; }
    if (hours > 0) { return hours + "h " + mins + "m"; }
    return mins + "m " + Math.floor((Math.abs(ms) % 60000) / 1000) + "s";
  }

  // Count down on the server's clock: a laptop whose clock is off must not hide a deadline.
  var skew = 0;

  function countdowns() {
    var now = Date.now() + skew;
    document.querySelectorAll("[data-act-by]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-act-by")) - now;
      el.textContent = left >= 0 ? "(" + span(left) + " left)" : "(overdue by " + span(left) + ")";
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 3600000);
    });
  }

  function LiveBoard(table) {
    this.table = table;
    this.body = table.querySelector("tbody");
    this.empty = document.querySelector("[data-empty]");
    this.status = document.querySelector("[data-connection]");
    this.announcer = document.querySelector("[data-announce]");
    this.waiting = {};
  }

  LiveBoard.prototype.say = function (text) {
    if (this.status) { this.status.textContent = text; }
  };

  LiveBoard.prototype.apply = function (change) {
    var old = document.getElementById(change.dom_id);
    if (old && old.contains(document.activeElement)) {
      this.waiting[change.dom_id] = change;  // do not pull a form from under someone typing in it
      old.classList.add("changed");
      return;
    }
    if (!change.html) {
      if (old) { old.remove(); }
    } else {
      var holder = document.createElement("tbody");
      holder.innerHTML = change.html;
      var row = holder.firstElementChild;
      row.classList.add("fresh");
      if (old) {
        old.replaceWith(row);
      } else {
        this.body.insertBefore(row, this.body.firstElementChild);
        if (this.announcer) { this.announcer.textContent = change.announce; }
      }
    }
    if (this.empty) { this.empty.hidden = this.body.children.length > 0; }
    countdowns();
  };

  LiveBoard.prototype.flush = function (event) {
    var row = event.target.closest("tr");
    if (!row || row.contains(event.relatedTarget) || !this.waiting[row.id]) { return; }
    var change = this.waiting[row.id];
    delete this.waiting[row.id];
    this.apply(change);
  };

  LiveBoard.prototype.connect = function () {
    var board = this;
    var source = new EventSource(this.table.getAttribute("data-stream"));
    source.onopen = function () { board.say("Live: new and changed rows appear here without reloading."); };
    source.onerror = function () { board.say("Connection lost; reconnecting…"); };
    source.addEventListener("row", function (event) { board.apply(JSON.parse(event.data)); });
    source.addEventListener("signed-out", function () {
      source.close();
      board.say("Your session ended. Reload the page to sign in again.");
    });
    this.body.addEventListener("focusout", function (event) { board.flush(event); });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var serverNow = Date.parse(document.body.getAttribute("data-now"));
    if (!isNaN(serverNow)) { skew = serverNow - Date.now(); }
    countdowns();
    window.setInterval(countdowns, 1000);
    var table = document.querySelector("table[data-stream]");
    if (table && window.EventSource) { new LiveBoard(table).connect(); }
  });
})();
