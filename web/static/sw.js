// The phone app's service worker, served at /sw.js so that it controls the whole app. Each job is
// its own script: sw_offline.js (the app opens offline, actions taken offline are sent once) and
// sw_push.js (Web Push notifications reach a closed app).
importScripts("/static/js/sw_offline.js", "/static/js/sw_push.js");
