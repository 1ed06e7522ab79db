// One Lambda invocation in a fresh Node.js process, as the Node.js runtime does it (lambdakit's sandbox).
//
// Run as `node _node_bootstrap.js <spec.json> <result.json>` by lambdakit.sandbox.node_runner. Node's standard
// library only. The log (START/END/REPORT lines, the handler's console output) goes to stdout; the outcome goes to
// the result file, so a handler writing to stdout cannot corrupt it. The outcome has the same shape as the Python
// bootstrap's: {payload} or {error: {errorType, errorMessage, stackTrace}}, plus durations.
"use strict";

const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");
const util = require("util");

const [specPath, resultPath] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specPath, "utf8"));
const requestId = spec.request_id;
const started = process.hrtime.bigint();
const timeoutMs = Number(spec.timeout) * 1000;
const deadline = Date.now() + timeoutMs;
let initMs = 0;
let invoked = started;
let finished = false;

const LEVELS = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };
const minimum = spec.log_format === "JSON" ? LEVELS[spec.application_log_level || "INFO"] ?? 2 : 0;

function write(level, args) {
  if (LEVELS[level] < minimum) return;
  const message = util.format(...args);
  const stamp = new Date().toISOString();
  if (spec.log_format === "JSON") {
    process.stdout.write(JSON.stringify({ timestamp: stamp, level, requestId, message }) + "\n");
  } else {
    process.stdout.write(`${stamp}\t${requestId}\t${level}\t${message}\n`);
  }
}

console.log = (...a) => write("INFO", a);
console.info = (...a) => write("INFO", a);
console.warn = (...a) => write("WARN", a);
console.error = (...a) => write("ERROR", a);
console.debug = (...a) => write("DEBUG", a);
console.trace = (...a) => write("TRACE", a);

function errorOf(err, type, message) {
  if (!(err instanceof Error)) {
    return { errorType: type || "string", errorMessage: message ?? String(err), trace: [] };
  }
  const stack = (err.stack || "").split("\n").slice(1).map((l) => l.trim());
  return {
    errorType: type || err.name || "Error",
    errorMessage: message ?? err.message,
    trace: stack.filter((l) => !l.includes("_node_bootstrap.js")),
  };
}

function finish(outcome) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  const ended = process.hrtime.bigint();
  const durationMs = Number(ended - invoked) / 1e6;
  const maxMemoryMb = Math.round(process.memoryUsage.rss() / 1048576);
  if (outcome.error) {
    outcome.error.stackTrace = outcome.error.trace || [];
    delete outcome.error.trace;
    process.stdout.write(
      `${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t` +
        JSON.stringify({ errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage }) + "\n"
    );
  }
  Object.assign(outcome, { duration_ms: durationMs, init_duration_ms: initMs, max_memory_mb: maxMemoryMb });
  process.stdout.write(`END RequestId: ${requestId}\n`);
  process.stdout.write(
    `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ` +
      `${Math.floor(durationMs) + 1} ms\tMemory Size: ${spec.memory_size} MB\tMax Memory Used: ${maxMemoryMb} MB\t` +
      `Init Duration: ${initMs.toFixed(2)} ms\n`
  );
  fs.writeFileSync(resultPath, JSON.stringify(outcome));
  // Like Lambda (callbackWaitsForEmptyEventLoop aside), the invocation ends here, pending timers or not.
  process.stdout.write("", () => process.exit(0));
}

const timer = setTimeout(() => {
  const message = `${new Date().toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
  process.stdout.write(message + "\n");
  finish({ error: { errorType: "Sandbox.Timedout", errorMessage: message, trace: [] } });
}, timeoutMs);

function succeed(result) {
  let payload;
  try {
    payload = result === undefined ? "null" : JSON.stringify(result);
  } catch (err) {
    finish({ error: errorOf(err, "Runtime.MarshalError", `Unable to stringify response body: ${err.message}`) });
    return;
  }
  finish({ payload: payload === undefined ? "null" : payload });
}

process.on("uncaughtException", (err) => finish({ error: errorOf(err) }));
process.on("unhandledRejection", (err) => finish({ error: errorOf(err, "Runtime.UnhandledPromiseRejection") }));

async function load(handler) {
  const dot = handler.lastIndexOf(".");
  if (dot <= 0) {
    throw Object.assign(new Error(`Bad handler ${handler}: not enough values`), { lambdaType: "Runtime.MalformedHandlerName" });
  }
  const modulePath = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const base = path.resolve(spec.task_root, modulePath);
  const candidates = [".js", ".mjs", ".cjs"].map((ext) => base + ext).filter((f) => fs.existsSync(f));
  if (candidates.length === 0) {
    throw Object.assign(new Error(`Cannot find module '${modulePath}'`), { lambdaType: "Runtime.ImportModuleError" });
  }
  let mod;
  try {
    mod = await import(pathToFileURL(candidates[0]).href);
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw Object.assign(err, { lambdaType: "Runtime.UserCodeSyntaxError" });
    }
    throw Object.assign(new Error(`Error: ${err.message}`), { lambdaType: "Runtime.ImportModuleError", stack: err.stack });
  }
  const fn = mod[exportName] ?? (mod.default && mod.default[exportName]);
  if (typeof fn !== "function") {
    throw Object.assign(new Error(`${modulePath}.${exportName} is undefined or not exported`), {
      lambdaType: "Runtime.HandlerNotFound",
    });
  }
  return fn;
}

async function main() {
  process.chdir(spec.task_root);
  process.stdout.write(`START RequestId: ${requestId} Version: ${spec.function_version}\n`);
  let fn;
  try {
    fn = await load(spec.handler);
  } catch (err) {
    finish({ error: { ...errorOf(err, err.lambdaType), trace: err.lambdaType === "Runtime.UserCodeSyntaxError" ? errorOf(err).trace : [] } });
    return;
  }
  initMs = Number(process.hrtime.bigint() - started) / 1e6;
  invoked = process.hrtime.bigint();
  const context = {
    functionName: spec.function_name,
    functionVersion: spec.function_version,
    invokedFunctionArn: spec.invoked_function_arn,
    memoryLimitInMB: String(spec.memory_size),
    awsRequestId: requestId,
    logGroupName: spec.log_group_name,
    logStreamName: spec.log_stream_name,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const event = spec.payload ? JSON.parse(spec.payload) : {};
  try {
    const callback = (err, result) => (err ? finish({ error: errorOf(err) }) : succeed(result));
    const returned = fn(event, context, callback);
    if (returned && typeof returned.then === "function") {
      succeed(await returned);
    } else if (fn.length < 3) {
      succeed(returned);
    }
  } catch (err) {
    finish({ error: errorOf(err) });
  }
}

main();
