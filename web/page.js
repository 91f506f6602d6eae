// page.js: the page's side of shapelab in the browser (web/index.html; docs/web.md).
//
// The engine runs in a Web Worker (web/worker.js), so typing never waits for it. As the learner
// types, the page asks it for `shapelab summary model.py` and `shapelab trace model.py`, shows
// what they print (errors at their line), then prepares the scene and shows it. The scene's
// window is this page: the loop below moves between the steps as viz/window.c does (same keys,
// same motion), asks the worker for the picture at each position, and puts its pixels into the
// <canvas>.
'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };

  // ---------------- engines ----------------
  // The float32 engine is inside this page (a text/plain script, made into a worker from a
  // Blob, which works from file:// too). The double one, for the scenes whose numbers mean
  // something only in double (as the float32 CLI hands them to build/f64/shapelab), is
  // engine-f64.js beside the page, loaded the first time such a scene is asked for.
  var sourceUrls = {};

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error('cannot load ' + src + ' (it belongs beside index.html)')); };
      document.head.appendChild(s);
    });
  }

  // engine-f64.js holds the engine as the body of a function; its text is the worker's source.
  function functionBody(fn) {
    var text = String(fn);
    return text.slice(text.indexOf('{') + 1, text.lastIndexOf('}'));
  }

  function engineUrl(kind) {
    if (sourceUrls[kind])
      return Promise.resolve(sourceUrls[kind]);
    var text = kind === 'f32' ? Promise.resolve($('engine-f32').textContent)
      : loadScript('engine-f64.js').then(function () { return functionBody(window.shapelabEngineSource.f64); });
    return text.then(function (t) {
      sourceUrls[kind] = URL.createObjectURL(new Blob([t], { type: 'text/javascript' }));
      return sourceUrls[kind];
    });
  }

  // One worker; requests answered in order. restart() ends it (a job that a newer edit made
  // useless, or a crash) and fails what was waiting.
  function Engine(kind) {
    this.kind = kind;
    this.worker = null;
    this.waiting = {};
    this.nextId = 1;
    this.loading = 0; // requests waiting for the engine's source (engine-f64.js)
  }

  Engine.prototype.request = function (op, fields) {
    var self = this;
    self.loading++;
    return engineUrl(this.kind).finally(function () { self.loading--; }).then(function (url) {
      if (!self.worker) {
        self.worker = new Worker(url);
        self.worker.onmessage = function (ev) { self.reply(ev.data); };
        self.worker.onerror = function (ev) { self.restart('the engine stopped: ' + ev.message); };
      }
      return new Promise(function (resolve, reject) {
        var id = self.nextId++;
        self.waiting[id] = { resolve: resolve, reject: reject, since: performance.now(), gen: fields.gen };
        self.worker.postMessage(Object.assign({ id: id, op: op }, fields));
      });
    });
  };

  Engine.prototype.reply = function (d) {
    var w = this.waiting[d.id];
    delete this.waiting[d.id];
    if (!w)
      return;
    if (d.crashed) {
      this.restart('the engine stopped: ' + d.crashed);
      w.reject(new Error('the engine stopped: ' + d.crashed));
    } else {
      w.resolve(d);
    }
  };

  Engine.prototype.restart = function (why) {
    if (this.worker)
      this.worker.terminate();
    this.worker = null;
    var waiting = this.waiting;
    this.waiting = {};
    for (var id in waiting)
      waiting[id].reject(new Error(why));
    if (this === scene.engine)
      scene.ready = false; // its scene went with it
  };

  // The oldest request still waiting that an edit after it made useless: how long it has run.
  Engine.prototype.staleFor = function (gen) {
    var now = performance.now(), worst = 0;
    for (var id in this.waiting) {
      var w = this.waiting[id];
      if (w.gen !== undefined && w.gen < gen)
        worst = Math.max(worst, now - w.since);
    }
    return worst;
  };

  Engine.prototype.busy = function () { return this.loading > 0 || Object.keys(this.waiting).length > 0; };

  var engines = { f32: new Engine('f32'), f64: new Engine('f64') };
  var sceneList = [];   // {name, what, inDouble} from the engine
  var STALE_MS = 1500;  // a job this much older than the code shown is ended, not waited for

  // ---------------- the address ----------------
  var query = new URLSearchParams(location.search);
  function queryInt(name, lo, hi) {
    var v = parseInt(query.get(name), 10);
    return isNaN(v) ? null : Math.max(lo, Math.min(hi, v));
  }
  var scale = queryInt('scale', 1, 4) || Math.max(1, Math.min(2, Math.round(window.devicePixelRatio || 1)));

  // ---------------- the editor ----------------
  var models = Array.prototype.map.call(document.querySelectorAll('script.model'), function (s) {
    var text = s.textContent.replace(/^\n/, '');
    var first = (text.match(/^#\s*(.*)$/m) || ['', ''])[1].replace(/^QUESTIONS\.md\s*/, '');
    return { name: s.dataset.name, text: text, about: first };
  });
  var code = $('code'), gutter = $('gutter'), band = $('error-band');
  var edited = false, errorLine = 0;

  function fillModelPicker() {
    var pick = $('model-pick');
    models.forEach(function (m, i) {
      var o = document.createElement('option');
      o.value = String(i);
      o.textContent = m.name + (m.about ? ': ' + m.about : '');
      pick.appendChild(o);
    });
    var own = document.createElement('option');
    own.value = 'own';
    own.textContent = 'your own code';
    pick.appendChild(own);
    pick.addEventListener('change', function () {
      if (pick.value === 'own')
        return;
      if (edited && !confirm('Replace your code with ' + models[+pick.value].name + '?')) {
        pick.value = 'own';
        return;
      }
      setCode(models[+pick.value].text);
    });
  }

  function setCode(text) {
    code.value = text;
    edited = false;
    code.scrollTop = 0;
    codeChanged();
  }

  function lineHeight() { return parseFloat(getComputedStyle(code).lineHeight); }

  function drawGutter() {
    var n = code.value.split('\n').length, rows = [];
    for (var i = 1; i <= n; i++)
      rows.push(i === errorLine ? '<b>' + i + '</b>' : String(i));
    gutter.innerHTML = rows.join('\n');
    gutter.scrollTop = code.scrollTop;
    band.hidden = !errorLine;
    if (errorLine) {
      var top = parseFloat(getComputedStyle(code).paddingTop);
      band.style.top = (top + (errorLine - 1) * lineHeight() - code.scrollTop) + 'px';
      band.style.height = lineHeight() + 'px';
    }
  }

  code.addEventListener('scroll', drawGutter);
  code.addEventListener('input', function () {
    edited = true;
    $('model-pick').value = 'own';
    codeChanged();
  });
  code.addEventListener('keydown', function (ev) { // Tab indents (Python); Shift+Tab leaves
    if (ev.key === 'Tab' && !ev.shiftKey && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      ev.preventDefault();
      document.execCommand('insertText', false, '    ');
    }
  });

  // ---------------- data for the scene (-x) ----------------
  var data = null; // {path: 'data/NAME.npy', bytes}

  function npyShape(bytes) { // the header's shape, to say what was dropped (the engine checks it)
    var head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 512)));
    var m = head.match(/'shape':\s*(\([^)]*\))/);
    return m ? m[1] : 'not an .npy header';
  }

  function setData(name, bytes) {
    data = bytes ? { path: 'data/' + name.replace(/[^A-Za-z0-9._-]/g, '_'), bytes: bytes } : null;
    $('data-set').hidden = !data;
    $('data-none').hidden = !!data;
    $('data-name').textContent = data ? data.path + ', shape ' + npyShape(bytes) : '';
    prepareScene();
  }

  function readData(file) {
    if (!file)
      return;
    file.arrayBuffer().then(function (buf) { setData(file.name, new Uint8Array(buf)); });
  }

  $('data-file').addEventListener('change', function (ev) { readData(ev.target.files[0]); });
  $('data-remove').addEventListener('click', function () { $('data-file').value = ''; setData('', null); });
  $('data-sample').addEventListener('change', prepareScene);
  document.addEventListener('dragover', function (ev) { ev.preventDefault(); });
  document.addEventListener('drop', function (ev) {
    ev.preventDefault();
    var f = ev.dataTransfer.files[0];
    if (f && /\.npy$/i.test(f.name))
      readData(f);
    else if (f)
      showSceneError('shapelab: error: ' + f.name + ': the scene takes NumPy .npy files (np.save)\n');
  });

  // ---------------- summary and trace ----------------
  var gen = 0, timer = 0, codeOk = false;

  function files() {
    var f = { 'model.py': code.value };
    if (data)
      f[data.path] = data.bytes;
    return f;
  }

  function codeChanged() {
    drawGutter();
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  }

  // stderr as the CLI prints it: notices apart from errors; the first error's line marked.
  function showStderr(err, rc) {
    var lines = err.split('\n').filter(function (l, i, all) { return l || i < all.length - 1; });
    var notices = lines.filter(function (l) { return /: notice: |^shapelab: note: /.test(l); });
    var errors = lines.filter(function (l) { return notices.indexOf(l) < 0; });
    $('notices').textContent = notices.join('\n');
    $('notices').hidden = !notices.length;
    $('errors').textContent = rc ? errors.join('\n') : '';
    $('errors').hidden = !rc || !errors.length;
    var at = rc ? errors.join('\n').match(/^model\.py:(\d+):(\d+): error: /m) : null;
    errorLine = at ? +at[1] : 0;
    drawGutter();
  }

  function showOut(id, r, stateId) {
    if (r.rc === 0) {
      $(id).textContent = r.out;
      $(id).classList.remove('stale');
      $(stateId).textContent = '';
    } else {
      $(id).classList.add('stale');
      $(stateId).textContent = $(id).textContent ? '(the last that ran: the code has an error now)' : '';
    }
  }

  function update() {
    var g = ++gen, f = files(), e = engines.f32;
    timer = 0;
    if (e.staleFor(g) > STALE_MS)
      e.restart('a newer edit');
    var summary = e.request('cli', { gen: g, args: ['summary', 'model.py'], files: f });
    var trace = e.request('cli', { gen: g, args: ['trace', 'model.py'] });
    summary.then(function (r) {
      if (g !== gen || r.stale)
        return;
      codeOk = r.rc === 0;
      showStderr(r.err, r.rc);
      showOut('summary', r, 'summary-state');
      if (!codeOk)
        sceneStale('the code has an error: the scene shows it again once the code runs');
    }, retryLater);
    trace.then(function (r) {
      if (g !== gen || r.stale)
        return;
      showOut('trace', r, 'trace-state');
      if (r.rc !== 0 && codeOk) // summary ran, trace did not: its own error
        $('trace').textContent = r.err, $('trace').classList.remove('stale');
      if (codeOk)
        prepareScene();
    }, retryLater);
  }

  function retryLater(err) {
    // the worker was ended for a newer edit (that edit's update follows), or it crashed
    if (!/newer edit/.test(err.message))
      showSceneError('shapelab: error: ' + err.message + '\n');
  }

  // ---------------- the scene ----------------
  var scene = { engine: null, ready: false, name: '', token: 0 };
  var view = { steps: 0, step: 0, pos: 0, playing: query.get('step') === null && query.get('play') !== '0',
               speed: 1, sinceStep: 0, drawnAt: null, drawing: false, firstStep: query.get('step') };
  var TRANSITION = 0.4; // seconds from one step to the next at speed 1, as in the window
  var ctx = $('scene').getContext('2d');

  function fillScenePicker(list) {
    sceneList = list;
    var pick = $('scene-pick');
    list.forEach(function (s) {
      var o = document.createElement('option');
      o.value = s.name;
      o.textContent = s.name + ': ' + s.what;
      pick.appendChild(o);
    });
    var asked = query.get('scene');
    if (asked && list.some(function (s) { return s.name === asked; }))
      pick.value = asked;
    pick.addEventListener('change', prepareScene);
  }

  function inDouble(name) {
    return sceneList.some(function (s) { return s.name === name && s.inDouble; });
  }

  function sceneArgs(name) {
    var a = ['model.py'];
    if (name)
      a.push('--scene', name);
    if (data)
      a.push('-x', data.path, '--sample', String(Math.max(0, +$('data-sample').value || 0)));
    return a;
  }

  function showSceneError(text) {
    $('scene-errors').textContent = text;
    $('scene-errors').hidden = !text;
  }

  function sceneStale(why) {
    $('scene').classList.add('stale');
    $('scene-why').textContent = why;
  }

  function busy(text) {
    $('scene-busy').textContent = text || '';
    $('scene-busy').hidden = !text;
  }

  function prepareScene() {
    if (!codeOk)
      return;
    var asked = $('scene-pick').value, token = ++scene.token, g = gen;
    var kind = asked && inDouble(asked) ? 'f64' : 'f32';
    start(kind, asked);

    function start(k, name) {
      var e = engines[k];
      if (e.staleFor(g) > STALE_MS)
        e.restart('a newer edit');
      busy(k === 'f64' && !sourceUrls.f64 ? 'loading the double-precision engine...' : 'preparing the scene...');
      e.request('scene', { gen: g, args: sceneArgs(name), scale: scale, files: files() }).then(function (r) {
        if (token !== scene.token || r.stale)
          return;
        if (r.steps === -2) // drawn in double: the double engine draws it, as the CLI hands it over
          return start('f64', r.name);
        busy('');
        if (r.steps < 0) {
          scene.ready = false;
          showSceneError(r.err);
          sceneStale('');
          return;
        }
        // notes, such as -x on a scene that draws its own data; the script's notices are shown
        // beside the code already
        showSceneError(r.err.split('\n').filter(function (l) { return !/: notice: /.test(l); }).join('\n'));
        scene.engine = e;
        scene.ready = true;
        scene.name = r.name;
        $('scene').classList.remove('stale');
        $('scene-why').textContent = 'scene \'' + r.name + '\'' + (r.why ? ', for ' + r.why : '') +
          (e.kind === 'f64' ? ' (drawn in double precision)' : '');
        view.steps = Math.max(1, r.steps);
        if (view.firstStep !== null) { // ?step=N or last: paused there
          var n = view.firstStep === 'last' ? view.steps : parseInt(view.firstStep, 10) || 1;
          view.step = Math.max(0, Math.min(view.steps - 1, n - 1));
          view.firstStep = null;
        }
        view.step = Math.min(view.step, view.steps - 1);
        view.pos = view.step;
        view.drawnAt = null;
      }, function (err) {
        if (token === scene.token) {
          busy('');
          retryLater(err);
        }
      });
    }
  }

  function requestDraw() {
    if (!scene.ready || view.drawing || view.drawnAt === view.pos)
      return;
    var at = view.pos, token = scene.token;
    view.drawing = true;
    scene.engine.request('draw', { at: at }).then(function (d) {
      view.drawing = false;
      if (token !== scene.token || !d.w)
        return;
      var c = $('scene');
      if (c.width !== d.w || c.height !== d.h)
        c.width = d.w, c.height = d.h;
      ctx.putImageData(new ImageData(new Uint8ClampedArray(d.pixels), d.w, d.h), 0, 0);
      view.drawnAt = at;
    }, function () { view.drawing = false; });
  }

  // The window's motion (viz/window.c): a step key sets the target step and pos moves there over
  // TRANSITION seconds (eased by the scene); playing, each step is held 1/speed seconds.
  function goTo(step) {
    step = Math.max(0, Math.min(view.steps - 1, step));
    view.pos = Math.max(step - 1, Math.min(step + 1, view.pos));
    view.step = step;
    view.sinceStep = 0;
  }

  function move(dt) {
    if (view.pos === view.step)
      return false;
    var d = dt / (TRANSITION / Math.max(1, view.speed));
    view.pos = view.pos < view.step ? Math.min(view.step, view.pos + d) : Math.max(view.step, view.pos - d);
    return true;
  }

  function setPlaying(on) {
    view.playing = on;
    if (on && view.step === view.steps - 1)
      goTo(0);
  }

  var last = 0;
  function tick(now) {
    var dt = last ? Math.min(0.1, (now - last) / 1000) : 0;
    last = now;
    if (scene.ready && !move(dt) && view.playing && (view.sinceStep += dt) >= 1 / view.speed) {
      if (view.step + 1 >= view.steps)
        view.playing = false;
      else
        goTo(view.step + 1);
    }
    requestDraw();
    $('scene-step').textContent = scene.ready ? 'step ' + (view.step + 1) + ' of ' + view.steps : '';
    $('play').textContent = view.playing && scene.ready ? 'pause' : 'play'; // nothing plays a broken scene
    $('play').disabled = !scene.ready;
    $('speed').textContent = view.speed >= 1 ? view.speed + 'x' : '1/' + (1 / view.speed) + 'x';
    requestAnimationFrame(tick);
  }

  var actions = {
    play: function () { setPlaying(!view.playing); },
    next: function () { goTo(view.step + 1); },
    prev: function () { goTo(view.step - 1); },
    faster: function () { view.speed = view.speed < 16 ? view.speed * 2 : view.speed; },
    slower: function () { view.speed = view.speed > 0.125 ? view.speed / 2 : view.speed; },
    restart: function () { goTo(0); },
    savePng: function () { save('png', { at: view.pos }, scene.name + '-step' + (view.step + 1) + '.png'); },
    saveApng: function () { save('apng', {}, scene.name + '-animated.png'); },
  };
  var keys = { ' ': 'play', ArrowRight: 'next', ArrowLeft: 'prev', '+': 'faster', '=': 'faster',
               '-': 'slower', r: 'restart', s: 'savePng' };

  document.addEventListener('keydown', function (ev) {
    var t = ev.target.tagName;
    if (t === 'TEXTAREA' || t === 'INPUT' || t === 'SELECT' || ev.ctrlKey || ev.metaKey || ev.altKey)
      return;
    var a = keys[ev.key];
    if (a) {
      ev.preventDefault();
      actions[a]();
    }
  });

  function save(op, fields, name) {
    if (!scene.ready)
      return;
    busy(op === 'apng' ? 'drawing every frame of the scene...' : 'saving...');
    scene.engine.request(op, fields).then(function (r) {
      busy('');
      if (!r.bytes)
        return showSceneError(r.err);
      var url = URL.createObjectURL(new Blob([r.bytes], { type: 'image/png' }));
      var a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    }, function (err) { busy(''); retryLater(err); });
  }

  [['restart', 'restart'], ['prev', 'prev'], ['play', 'play'], ['next', 'next'], ['slower', 'slower'],
   ['faster', 'faster'], ['save-png', 'savePng'], ['save-apng', 'saveApng']].forEach(function (b) {
    $(b[0]).addEventListener('click', function () { actions[b[1]](); $('scene').focus(); });
  });
  $('full').addEventListener('click', function () { $('stage').requestFullscreen(); });

  $('scene').addEventListener('click', function (ev) { // a scene's numbered cells pick a step
    if (!scene.ready)
      return;
    var c = $('scene'), r = c.getBoundingClientRect();
    var x = Math.floor((ev.clientX - r.left) / r.width * c.width / scale);
    var y = Math.floor((ev.clientY - r.top) / r.height * c.height / scale);
    var token = scene.token;
    scene.engine.request('pick', { x: x, y: y }).then(function (d) {
      if (token === scene.token && d.step >= 0)
        goTo(d.step);
    });
  });

  // ---------------- for tests: settle, then read ----------------
  // idle(): resolves once nothing is waiting: no edit to read, no request out, the picture drawn
  // at the position reached. (While playing it never settles: tests ask for a step.)
  window.shapelab = {
    idle: function () {
      return new Promise(function (resolve) {
        (function poll() {
          var quiet = !timer && !engines.f32.busy() && !engines.f64.busy() && !view.drawing &&
            (!scene.ready || (view.drawnAt === view.pos && view.pos === view.step && !view.playing));
          if (quiet)
            resolve('idle');
          else
            setTimeout(poll, 50);
        })();
      });
    },
    canvasPng: function () { return $('scene').toDataURL('image/png'); },
  };

  // ---------------- start ----------------
  fillModelPicker();
  var asked = (query.get('model') || '').replace(/\.py$/, '');
  var pick = models.findIndex(function (m) { return m.name.replace(/\.py$/, '') === asked; });
  if (query.get('code') !== null) {
    $('model-pick').value = 'own';
    code.value = query.get('code');
    codeChanged();
  } else {
    $('model-pick').value = String(Math.max(0, pick));
    setCode(models.length ? models[Math.max(0, pick)].text : '');
  }
  engines.f32.request('scenes', {}).then(function (r) { fillScenePicker(r.scenes); prepareScene(); });
  requestAnimationFrame(tick);
})();
