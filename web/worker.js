// worker.js: the engine's side of the page. Appended to the engine that emscripten builds
// (createShapelab, web/engine.c compiled with the whole of shapelab), it runs in a Web Worker, so
// the page stays responsive while the engine reads a script, prepares a scene or draws a frame.
//
// The page sends {id, op, ...} and gets {id, ...} back, in order. Every op that runs shapelab's
// code returns what it printed: `out` (stdout) and `err` (stderr), as the CLI would show them.
// Files the page sends (the script, the learner's .npy) are written first, into the engine's
// in-memory file system, under the names the page chose (model.py, data/NAME.npy).
'use strict';

var engine = createShapelab({ print: function (s) { printed.out.push(s); },
                              printErr: function (s) { printed.err.push(s); } });
var printed = { out: [], err: [] };

// Run fn(M) and return its result with what shapelab printed meanwhile.
function capture(M, fn) {
  printed = { out: [], err: [] };
  var result = fn(M);
  return { result: result,
           out: printed.out.length ? printed.out.join('\n') + '\n' : '',
           err: printed.err.length ? printed.err.join('\n') + '\n' : '' };
}

function writeFiles(M, files) {
  for (var name in files || {}) {
    var slash = name.lastIndexOf('/');
    if (slash > 0)
      M.FS.mkdirTree(name.slice(0, slash));
    M.FS.writeFile(name, files[name]);
  }
}

// A command line as C's argv (strings on the engine's stack, freed by the caller's stackRestore).
function argv(M, args) {
  var all = ['shapelab'].concat(args), p = M.stackAlloc(4 * (all.length + 1));
  all.forEach(function (a, i) { M.setValue(p + 4 * i, M.allocateUTF8OnStack(a), 'i32'); });
  M.setValue(p + 4 * all.length, 0, 'i32');
  return { argc: all.length, argv: p };
}

function withArgv(M, args, fn) {
  var top = M.stackSave();
  try {
    var a = argv(M, args);
    return fn(a.argc, a.argv);
  } finally {
    M.stackRestore(top);
  }
}

function readAndRemove(M, path) {
  var bytes = M.FS.readFile(path);
  M.FS.unlink(path);
  return bytes;
}

var ops = {
  // shapelab SUBCOMMAND ... as the CLI runs it: {rc, out, err}
  cli: function (M, m) {
    var r = capture(M, function () {
      return withArgv(M, m.args, function (argc, p) { return M._web_cli(argc, p); });
    });
    return { rc: r.result, out: r.out, err: r.err };
  },
  // prepare a scene from a `png` command line: {steps (-1 error, -2 needs double), name, why}
  scene: function (M, m) {
    var r = capture(M, function () {
      return withArgv(M, ['png'].concat(m.args), function (argc, p) {
        return M._web_scene_start(argc, p, m.scale);
      });
    });
    return { steps: r.result, name: M.UTF8ToString(M._web_scene_name()),
             why: M.UTF8ToString(M._web_scene_why()), out: r.out, err: r.err };
  },
  // the scene at a position between its steps: RGBA pixels, handed over (not copied back)
  draw: function (M, m) {
    var p = M._web_scene_draw(m.at), w = M._web_scene_width(), h = M._web_scene_height();
    if (!p)
      return { w: 0, h: 0 };
    var pixels = M.HEAPU8.slice(p, p + w * h * 4).buffer;
    return { w: w, h: h, at: m.at, pixels: pixels, transfer: [pixels] };
  },
  pick: function (M, m) {
    return { step: M._web_scene_pick(m.x, m.y) };
  },
  // the picture at a position, or the whole scene animated, as PNG bytes
  png: function (M, m) {
    var r = capture(M, function () {
      return M.ccall('web_scene_save_png', 'number', ['number', 'string'], [m.at, 'frame.png']);
    });
    return r.result === 0 ? { bytes: readAndRemove(M, 'frame.png') } : { err: r.err };
  },
  apng: function (M) {
    var r = capture(M, function () {
      return M.ccall('web_scene_save_apng', 'number', ['string'], ['scene.png']);
    });
    return r.result === 0 ? { bytes: readAndRemove(M, 'scene.png') } : { err: r.err };
  },
  scenes: function (M) {
    var list = [];
    for (var i = 0; i < M._web_scene_count(); i++)
      list.push({ name: M.UTF8ToString(M._web_scene_list_name(i)),
                  what: M.UTF8ToString(M._web_scene_list_what(i)),
                  inDouble: M._web_scene_list_in_double(i) !== 0 });
    return { scenes: list };
  },
};

// One message at a time: the engine is synchronous, and replies keep the order of requests.
// Between two jobs the worker lets the messages sent meanwhile arrive, so a job made for code
// that a newer edit replaced (its `gen` below the newest seen) is answered {stale: true} and not
// run. Its files are still written: they are the newest the page sent.
var queue = Promise.resolve(), newest = 0;

function nextTask() {
  return new Promise(function (resolve) { setTimeout(resolve, 0); });
}

onmessage = function (ev) {
  var m = ev.data;
  if (m.gen > newest)
    newest = m.gen;
  queue = queue.then(nextTask).then(function () { return engine; }).then(function (M) {
    var reply;
    try {
      writeFiles(M, m.files);
      reply = m.gen < newest ? { stale: true } : ops[m.op](M, m);
    } catch (e) { // an abort inside the engine: the page starts a new worker
      reply = { crashed: String(e && e.message || e) };
    }
    var transfer = reply.transfer || [];
    delete reply.transfer;
    reply.id = m.id;
    postMessage(reply, transfer);
  });
};
