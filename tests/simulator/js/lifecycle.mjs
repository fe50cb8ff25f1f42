// Drives a whole application lifecycle through Scalingo's official JavaScript client
// (npm package `scalingo`, version pinned in package.json beside this file) against a
// Scalingo API (normally the local simulator).
//
// Usage:
//   SIM_URL=http://127.0.0.1:PORT [SIM_TOKEN=...] [SCALINGO_JS_DIR=dir] node lifecycle.mjs
//   node lifecycle.mjs --list        prints the step names, one a line, and exits
//
// Environment:
//   SIM_URL          base URL of the regional API, without /v1 (required)
//   SIM_AUTH_URL     base URL of the auth service (default: SIM_URL; the simulator serves both)
//   SIM_TOKEN        API token accepted by the server (default: the simulator's default token)
//   SCALINGO_JS_DIR  folder whose node_modules holds `scalingo` (default: the working directory)
//   STEP_TIMEOUT_MS  deadline of each step in milliseconds (default 20000)
//   APP_NAME         name of the application to create (default: js-lifecycle-<random>)
//
// The run sends about 60 requests to the regional API within ten seconds, and the official client
// never retries a 429: run the simulator without its rate limit (`--rate-limit 0`), with short
// operations (`--operation-duration 2`: long enough to see the app busy, the client polls every
// second), e.g. from the repo root:
//   python3 -m simulator --port 0 --rate-limit 0 --operation-duration 2
//
// Output: `ok <step> (<ms> ms)` for each step that passed; on the first failure `not ok <step>: <reason>`
// followed by the last HTTP exchanges, and exit code 1. Exit code 2: bad usage or the client
// could not be loaded.
//
// ---------------------------------------------------------------------------------------------
// What the official client (scalingo 0.14.6, src/ in the package) does, read from its sources and
// observed on the wire. Every request carries `Accept: application/json, text/plain, */*` and
// `Accept-Encoding: gzip, compress, deflate, br` (axios 1.11 bundled in dist/scalingo.js).
//
// Construction
//   scalingo.clientFromToken(token, {apiUrl, authApiUrl}) -> Client
//     POST {authApiUrl}/v1/tokens/exchange, body `{}`, Content-Type: application/json,
//     Authorization: Basic base64(":" + token), User-Agent: axios/1.11.0 (not the client's one).
//     Reads `token` from the answer and uses it as the bearer; never decodes it, never
//     re-exchanges. A refused exchange rejects with the client's APIError.
//   Every other request: Authorization: Bearer <token>, User-Agent: Scalingo Javascript Client.
//   Regional calls go to `${apiUrl}/v1/<path>`, auth calls to `${authApiUrl}/v1/<path>`.
//   GETs carry no Content-Type and no query string unless stated; bodies are JSON.
//
// Errors (src/utils.ts unpackData, src/errors.ts)
//   Any answer >= 400 rejects with APIError(status, data): `.status` is the HTTP status,
//   `.data` the parsed body, `.message` is `data.error` when present, else
//   "An error occurred (status=N)". APIError is not exported: recognise it by its fields.
//   A network failure rejects with the raw axios error (no `.status`).
//
// Methods used here: request sent -> what the client reads from the answer
//   Regions.all()                GET  auth /v1/regions                      -> data.regions
//   Users.self()                 GET  auth /v1/users/self                   -> data.user
//   Apps.all()                   GET  /v1/apps                              -> data.apps
//   Apps.find(app)               GET  /v1/apps/{app}                        -> data.app
//   Apps.create({name, dry_run}) POST /v1/apps {"app": {"name"}}; header `X-Dry-Run: true`
//                                only when dry_run (dry_run is removed from the body) -> data.app
//   Apps.update(app, settings)   PATCH /v1/apps/{app} {"app": {settings}}   -> data.app
//   Apps.logsURL(app)            GET  /v1/apps/{app}/logs                   -> data.logs_url
//   Logs.for(app, {count})       logsURL(), then GET `${logs_url}&stream=false&n=<count>` AS IS,
//                                without Authorization: the URL must be absolute and already carry
//                                a query string (its token) -> the raw text body
//   Logs.archives(app, cursor)   GET  /v1/apps/{app}/logs_archives[?cursor=] -> the whole body
//                                {next_cursor, has_more, archives: [{url, size, from, to}]}
//   Autoscalers.for(app)         GET  /v1/apps/{app}/autoscalers            -> data.autoscalers
//   Apps.rename(app, cur, new)   POST /v1/apps/{app}/rename {"current_name", "new_name"} -> data.app
//   Apps.destroy(app, cur)       DELETE /v1/apps/{app}?current_name={cur}   -> body ignored
//   Containers.for(app)          GET  /v1/apps/{app}/containers             -> data.containers
//   Containers.availableSizes()  GET  /v1/features/container_sizes          -> data.container_sizes
//   Containers.scale(app, f)     POST /v1/apps/{app}/scale {"containers": f}
//                                -> data.containers and the `Location` header; when Location is
//                                there it builds an Operation on it and GETs it at once; without
//                                Location it returns the formation alone (nothing to wait for).
//   Containers.restart(app, s)   POST /v1/apps/{app}/restart {"scope": s} (`{}` when s is
//                                undefined; its typing says `scope?: string`, the API wants an
//                                array of types or labels) -> `Location` only; always builds an Operation and
//                                GETs it at once (no Location: rejects "missing url").
//   Containers.processes(app)    GET  /v1/apps/{app}/ps                     -> data.containers
//   Containers.run(app, opts)    POST /v1/apps/{app}/run {"command", "detached", "env", "size"}
//                                -> data.container only (operation_url/operation are ignored)
//   Containers.stop(app, id)     POST /v1/apps/{app}/containers/{id}/stop with NO body and
//                                Content-Type: application/x-www-form-urlencoded,
//                                Content-Length: 0 -> body ignored (202 expected)
//   Environment.for(app)         GET  /v1/apps/{app}/variables (no query)   -> data.variables
//   Environment.create(app, v)   POST /v1/apps/{app}/variables {"variable": {name, value}} -> data.variable
//   Environment.bulkUpdate(app, vs) PUT /v1/apps/{app}/variables {"variables": vs} -> data.variables
//   Environment.update(app, id, value) PATCH /v1/apps/{app}/variables/{id} {"variable": {"value"}}
//                                -> data.variable
//   Environment.destroy(app, id) DELETE /v1/apps/{app}/variables/{id}       -> body ignored
//   Environment.bulkDestroy(app, ids) DELETE /v1/apps/{app}/variables with the JSON body
//                                {"variable_ids": ids} -> data.variable_ids (undefined on a 204)
//   Operation.refresh()          GET <Location> AS IS: an absolute URL is used verbatim; a
//                                relative one would be joined to `${apiUrl}/v1/` (so
//                                "/v1/apps/..." becomes ".../v1/v1/apps/..."): Location must be
//                                absolute and reachable. Reads data.operation {id, created_at,
//                                finished_at, type, status, error}.
//   Operation.wait()             refresh() every 1000 ms until status === "done". It never stops
//                                on "error" (it polls forever): hence the per-step deadline here.
// ---------------------------------------------------------------------------------------------

import http from "node:http";
import https from "node:https";
import { createRequire } from "node:module";
import path from "node:path";

const DEFAULT_TOKEN = "tk-us-simulator-default-token";
const APP_STATUSES = ["new", "stopped", "running", "crashed", "restarting", "scaling", "booting"];
const OPERATION_STATUSES = ["pending", "running", "done", "error"];
const SIZE_NAMES = ["S", "M", "L", "XL", "2XL", "3XL"];

// ---------------------------------------------------------------- HTTP trace (for failures only)
// Records the last exchanges the client made, so that a failure says which request went wrong.
const trace = [];
function traced(mod, scheme) {
  const original = mod.request;
  mod.request = function request(...args) {
    const req = original.apply(this, args);
    const entry = { method: req.method, url: `${scheme}://${req.getHeader("host") || req.host}${req.path}`, status: null };
    trace.push(entry);
    if (trace.length > 8) trace.shift();
    req.on("response", (res) => {
      entry.status = res.statusCode;
      entry.location = res.headers.location;
    });
    req.on("error", (err) => {
      entry.error = err.code || err.message;
    });
    return req;
  };
}
traced(http, "http");
traced(https, "https");

function traceText() {
  return trace
    .map((e) => {
      const answer = e.error ? `error ${e.error}` : e.status === null ? "no answer" : `${e.status}`;
      const loc = e.location ? ` Location: ${e.location}` : "";
      return `#   ${e.method} ${e.url} -> ${answer}${loc}`;
    })
    .join("\n");
}

// ---------------------------------------------------------------- assertions
class Failure extends Error {}

function check(cond, message) {
  if (!cond) throw new Failure(message);
}
function eq(actual, expected, what) {
  check(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
function isString(value, what) {
  check(typeof value === "string" && value.length > 0, `${what}: expected a non-empty string, got ${JSON.stringify(value)}`);
}
function isDate(value, what) {
  isString(value, what);
  check(!Number.isNaN(Date.parse(value)), `${what}: not a date: ${JSON.stringify(value)}`);
}
function isObject(value, what) {
  check(value !== null && typeof value === "object" && !Array.isArray(value), `${what}: expected an object, got ${JSON.stringify(value)}`);
}
function isArray(value, what) {
  check(Array.isArray(value), `${what}: expected an array, got ${JSON.stringify(value)}`);
}
function oneOf(value, allowed, what) {
  check(allowed.includes(value), `${what}: expected one of ${JSON.stringify(allowed)}, got ${JSON.stringify(value)}`);
}
function isApiError(err) {
  return err && typeof err === "object" && typeof err.status === "number" && "data" in err && !(err instanceof Failure);
}
function describeError(err) {
  if (isApiError(err)) return `APIError status=${err.status} message=${JSON.stringify(err.message)} data=${JSON.stringify(err.data)}`;
  if (err instanceof Failure) return err.message;
  if (err && err.isAxiosError) return `network error ${err.code || ""} ${err.message} (${err.config?.method?.toUpperCase()} ${err.config?.url})`;
  return String(err && err.stack ? err.stack : err);
}

// Runs `promise`, expecting the client to reject it with APIError `status`; returns the error.
async function refused(promise, status, what) {
  let result;
  try {
    result = await promise;
  } catch (err) {
    if (!isApiError(err)) throw new Failure(`${what}: expected APIError ${status}, got ${describeError(err)}`);
    eq(err.status, status, `${what}: HTTP status (body ${JSON.stringify(err.data)})`);
    return err;
  }
  throw new Failure(`${what}: expected APIError ${status}, the call succeeded with ${JSON.stringify(result)}`);
}

// ---------------------------------------------------------------- steps
const steps = [];
function step(name, fn) {
  steps.push({ name, fn });
}

const ctx = {
  operation: null, // last Operation being waited for, reported on a timeout
};

const env = process.env;
const simUrl = (env.SIM_URL || "").replace(/\/+$/, "");
const authUrl = (env.SIM_AUTH_URL || simUrl).replace(/\/+$/, "");
const token = env.SIM_TOKEN || DEFAULT_TOKEN;
const stepTimeout = Number(env.STEP_TIMEOUT_MS || 20000);
const appName = env.APP_NAME || `js-lifecycle-${Math.random().toString(36).slice(2, 10)}`;
const newName = `${appName}-renamed`.slice(0, 48).replace(/-+$/, "");
const options = { apiUrl: simUrl, authApiUrl: authUrl };

let scalingo;
let client;
let created;
let scaleOperation;
let oneOff;

function appFields(app, what) {
  isObject(app, what);
  isString(app.id, `${what}.id`);
  isString(app.name, `${what}.name`);
  isDate(app.created_at, `${what}.created_at`);
  isString(app.git_url, `${what}.git_url`);
  isString(app.url, `${what}.url`);
  isObject(app.owner, `${what}.owner`);
  isString(app.owner.id, `${what}.owner.id`);
  isString(app.owner.username, `${what}.owner.username`);
  isString(app.owner.email, `${what}.owner.email`);
  isObject(app.links, `${what}.links`);
  isString(app.links.deployments_stream, `${what}.links.deployments_stream`);
}

async function findStatus(name) {
  const app = await client.Apps.find(name);
  return app.status;
}

function operationFields(op, type, what) {
  check(op && typeof op === "object", `${what}: the client returned no Operation (was a Location header sent?)`);
  isString(op.id, `${what}.id`);
  eq(op.type, type, `${what}.type`);
  oneOf(op.status, OPERATION_STATUSES, `${what}.status`);
  check(op.status !== "error", `${what} failed: ${JSON.stringify(op.error)}`);
  isDate(op.created_at, `${what}.created_at`);
}

async function waitDone(op, what) {
  ctx.operation = op;
  const final = await op.wait(); // polls every second until "done"
  ctx.operation = null;
  eq(op.status, "done", `${what}.status`);
  isObject(final, `${what} (answer of the last poll)`);
  eq(final.status, "done", `${what} answer status`);
  isDate(op.finished_at, `${what}.finished_at`);
}

step("token exchange", async () => {
  client = await scalingo.clientFromToken(token, options);
  const bearer = client._token;
  isString(bearer, "bearer");
  const parts = bearer.split(".");
  eq(parts.length, 3, "bearer is a JWT: number of dot-separated parts");
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch (err) {
    throw new Failure(`bearer payload is not base64url JSON: ${err.message}`);
  }
  check(typeof claims.exp === "number" && claims.exp > Date.now() / 1000, `bearer claim exp must be a future timestamp, got ${JSON.stringify(claims.exp)}`);
  check(bearer !== token, "the bearer must differ from the API token");
});

step("wrong token refused", async () => {
  await refused(scalingo.clientFromToken("tk-us-not-a-valid-token", options), 401, "exchange of a wrong token");
});

step("current user", async () => {
  const user = await client.Users.self();
  isObject(user, "user");
  isString(user.id, "user.id");
  isString(user.username, "user.username");
  isString(user.email, "user.email");
});

step("regions", async () => {
  const regions = await client.Regions.all();
  isArray(regions, "regions");
  check(regions.length > 0, "regions: the list is empty");
  for (const [i, r] of regions.entries()) {
    for (const field of ["name", "display_name", "api", "dashboard", "database_api", "ssh"]) {
      isString(r[field], `regions[${i}].${field}`);
    }
    eq(typeof r.default, "boolean", `regions[${i}].default type`);
    check(/^https?:\/\//.test(r.api), `regions[${i}].api is not a URL: ${r.api}`);
  }
  check(regions.some((r) => r.name === "osc-fr1"), `regions: osc-fr1 missing from ${JSON.stringify(regions.map((r) => r.name))}`);
  eq(regions.filter((r) => r.default).length, 1, "regions: number of default regions");
});

step("container sizes", async () => {
  const sizes = await client.Containers.availableSizes();
  isArray(sizes, "container_sizes");
  const names = sizes.map((s) => s.name);
  for (const n of SIZE_NAMES) check(names.includes(n), `container_sizes: ${n} missing from ${JSON.stringify(names)}`);
  for (const s of sizes) {
    isString(s.id, `size ${s.name}.id`);
    isString(s.human_name, `size ${s.name}.human_name`);
    eq(typeof s.ordinal, "number", `size ${s.name}.ordinal type`);
    check(typeof s.memory === "number" && s.memory > 0, `size ${s.name}.memory: ${JSON.stringify(s.memory)}`);
  }
  const ordered = SIZE_NAMES.map((n) => sizes.find((s) => s.name === n));
  for (let i = 1; i < ordered.length; i++) {
    check(ordered[i].ordinal > ordered[i - 1].ordinal, `container_sizes: ordinal of ${ordered[i].name} not above ${ordered[i - 1].name}`);
    check(ordered[i].memory > ordered[i - 1].memory, `container_sizes: memory of ${ordered[i].name} not above ${ordered[i - 1].name}`);
  }
});

step("dry-run create", async () => {
  const app = await client.Apps.create({ name: appName, dry_run: true });
  isObject(app, "dry-run answer app");
  eq(app.name, appName, "dry-run answer app.name");
  const apps = await client.Apps.all();
  isArray(apps, "apps");
  check(!apps.some((a) => a.name === appName), `dry-run created ${appName}: it is in the list`);
  await refused(client.Apps.find(appName), 404, "find after dry-run");
});

step("create", async () => {
  created = await client.Apps.create({ name: appName });
  appFields(created, "created app");
  eq(created.name, appName, "created app.name");
  const apps = await client.Apps.all();
  check(apps.some((a) => a.name === appName && a.id === created.id), `${appName} missing from the list after create`);
});

step("find", async () => {
  const app = await client.Apps.find(appName);
  appFields(app, "app");
  eq(app.id, created.id, "app.id");
  eq(app.name, appName, "app.name");
  oneOf(app.status, APP_STATUSES, "app.status");
});

step("taken name refused", async () => {
  const err = await refused(client.Apps.create({ name: appName }), 422, "create with a taken name");
  isObject(err.data.errors, "422 body errors");
  isArray(err.data.errors.name, "422 body errors.name");
  check(err.data.errors.name.some((m) => /taken/.test(m)), `errors.name should say the name is taken: ${JSON.stringify(err.data.errors.name)}`);
});

step("invalid name refused", async () => {
  const err = await refused(client.Apps.create({ name: "Not_A-Valid--Name" }), 422, "create with an invalid name");
  isObject(err.data.errors, "422 body errors");
  isArray(err.data.errors.name, "422 body errors.name");
  check(err.data.errors.name.length > 0, "422 body errors.name is empty");
});

step("unknown app is 404", async () => {
  const err = await refused(client.Apps.find(`${appName}-missing`), 404, "find an unknown app");
  eq(err.data.resource, "app", "404 body resource");
  eq(err.data.error, "not found", "404 body error");
  eq(err.message, "not found", "APIError message");
});

step("settings update", async () => {
  let app = await client.Apps.update(appName, { force_https: true, router_logs: true, sticky_session: true });
  appFields(app, "updated app");
  eq(app.force_https, true, "force_https after update");
  eq(app.router_logs, true, "router_logs after update");
  eq(app.sticky_session, true, "sticky_session after update");
  app = await client.Apps.update(appName, { force_https: false });
  eq(app.force_https, false, "force_https after second update");
  eq(app.router_logs, true, "router_logs kept by a partial update");
  eq(app.sticky_session, true, "sticky_session kept by a partial update");
  app = await client.Apps.find(appName);
  eq(app.force_https, false, "force_https read back");
  eq(app.router_logs, true, "router_logs read back");
  eq(app.sticky_session, true, "sticky_session read back");
});

step("formation", async () => {
  const formation = await client.Containers.for(appName);
  isArray(formation, "formation");
  const web = formation.find((c) => c.name === "web");
  check(web, `formation has no web type: ${JSON.stringify(formation)}`);
  eq(web.amount, 1, "web.amount of a new app");
  eq(web.size, "M", "web.size of a new app");
});

step("scale", async () => {
  const result = await client.Containers.scale(appName, [{ name: "web", amount: 2, size: "L" }]);
  isArray(result.formation, "scale answer formation");
  const web = result.formation.find((c) => c.name === "web");
  check(web, `scale answer has no web type: ${JSON.stringify(result.formation)}`);
  eq(web.amount, 2, "scale answer web.amount");
  eq(web.size, "L", "scale answer web.size");
  scaleOperation = result.operation;
  operationFields(scaleOperation, "scale", "scale operation");
  if (scaleOperation.status !== "done") eq(await findStatus(appName), "scaling", "app.status while scaling");
});

step("busy app refused", async () => {
  // The operation lasts longer than the few milliseconds since the scale: the app is busy.
  check(scaleOperation.status !== "done", "the scale operation ended before this step could check the busy app (operation duration too short)");
  const err = await refused(client.Containers.restart(appName), 422, "restart while scaling");
  isObject(err.data.errors, "422 body errors");
  isArray(err.data.errors.app, "422 body errors.app");
  check(err.data.errors.app.some((m) => /is scaling/.test(m)), `errors.app should say "is scaling": ${JSON.stringify(err.data.errors.app)}`);
});

step("scale wait", async () => {
  await waitDone(scaleOperation, "scale operation");
  eq(await findStatus(appName), "running", "app.status after scaling");
  const formation = await client.Containers.for(appName);
  const web = formation.find((c) => c.name === "web");
  eq(web && web.amount, 2, "web.amount after scaling");
  eq(web && web.size, "L", "web.size after scaling");
});

step("scale without change refused", async () => {
  const err = await refused(client.Containers.scale(appName, [{ name: "web", amount: 2, size: "L" }]), 400, "scale to the current formation");
  eq(err.data.error, "no change in containers formation", "400 body error");
});

step("processes", async () => {
  const ps = await client.Containers.processes(appName);
  isArray(ps, "processes");
  const web = ps.filter((c) => c.type === "web").sort((a, b) => a.type_index - b.type_index);
  eq(web.length, 2, `number of web containers in ${JSON.stringify(ps)}`);
  web.forEach((c, i) => {
    isString(c.id, `web[${i}].id`);
    eq(c.type_index, i + 1, `web[${i}].type_index`);
    eq(c.label, `web-${i + 1}`, `web[${i}].label`);
    eq(c.state, "running", `web[${i}].state`);
    isDate(c.created_at, `web[${i}].created_at`);
    isObject(c.container_size, `web[${i}].container_size`);
    eq(c.container_size.name, "L", `web[${i}].container_size.name`);
  });
});

step("restart", async () => {
  // No scope: the client sends `{}` and the whole app restarts.
  const op = await client.Containers.restart(appName);
  operationFields(op, "restart", "restart operation");
  if (op.status !== "done") eq(await findStatus(appName), "restarting", "app.status while restarting");
  await waitDone(op, "restart operation");
  eq(await findStatus(appName), "running", "app.status after restart");
});

step("restart one type", async () => {
  // The documented scope is an array (the client's typing says string; a string is refused).
  const op = await client.Containers.restart(appName, ["web"]);
  operationFields(op, "restart", "restart operation");
  await waitDone(op, "restart operation");
  eq(await findStatus(appName), "running", "app.status after restart");
});

step("autoscalers", async () => {
  const autoscalers = await client.Autoscalers.for(appName);
  isArray(autoscalers, "autoscalers");
  eq(autoscalers.length, 0, "number of autoscalers of a new app");
});

step("environment", async () => {
  const one = await client.Environment.create(appName, { name: "RAILS_ENV", value: "production" });
  isObject(one, "created variable");
  isString(one.id, "variable id");
  eq(one.name, "RAILS_ENV", "variable name");
  eq(one.value, "production", "variable value");
  const bulk = await client.Environment.bulkUpdate(appName, [
    { name: "RAILS_ENV", value: "staging" },
    { name: "DATABASE_URL", value: "$SCALINGO_POSTGRESQL_URL" },
  ]);
  isArray(bulk, "bulk update answer");
  eq(bulk.length, 2, "variables in the bulk update answer");
  eq(bulk[0].id, one.id, "id of the variable updated by the bulk update");
  const updated = await client.Environment.update(appName, one.id, "test");
  eq(updated.value, "test", "value after update");
  const listed = await client.Environment.for(appName);
  isArray(listed, "variables");
  eq(JSON.stringify(listed.map((v) => [v.name, v.value])),
    JSON.stringify([["RAILS_ENV", "test"], ["DATABASE_URL", "$SCALINGO_POSTGRESQL_URL"]]), "variables listed raw");
  await client.Environment.destroy(appName, one.id);
  await client.Environment.bulkDestroy(appName, [bulk[1].id]);
  eq((await client.Environment.for(appName)).length, 0, "variables after destroy and bulk destroy");
});

step("one-off run detached", async () => {
  oneOff = await client.Containers.run(appName, { command: "sleep 600", detached: true, size: "S" });
  isObject(oneOff, "run answer container");
  isString(oneOff.id, "one-off id");
  eq(oneOff.type, "one-off", "one-off type");
  eq(typeof oneOff.type_index, "number", "one-off type_index type");
  isString(oneOff.state, "one-off state");
  isDate(oneOff.created_at, "one-off created_at");
  isObject(oneOff.app, "one-off app");
  eq(oneOff.app.name, appName, "one-off app.name");
});

step("one-off in processes", async () => {
  const ps = await client.Containers.processes(appName);
  const c = ps.find((p) => p.id === oneOff.id);
  check(c, `one-off ${oneOff.id} missing from processes: ${JSON.stringify(ps.map((p) => [p.id, p.type]))}`);
  eq(c.type, "one-off", "one-off type in processes");
  eq(c.command, "sleep 600", "one-off command in processes");
  eq(c.label, `one-off-${c.type_index}`, "one-off label in processes");
  isObject(c.container_size, "one-off container_size in processes");
  eq(c.container_size.name, "S", "one-off container_size.name");
});

step("one-off stop", async () => {
  const answer = await client.Containers.stop(appName, oneOff.id);
  check(answer === "" || answer === undefined || answer === null || typeof answer === "object", `stop answer: ${JSON.stringify(answer)}`);
  // The stop is asynchronous: the container shows `stopping`, then leaves /ps.
  for (;;) {
    const ps = await client.Containers.processes(appName);
    const c = ps.find((p) => p.id === oneOff.id);
    if (!c) break;
    oneOf(c.state, ["stopping", "stopped"], "one-off state after stop");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await refused(client.Containers.stop(appName, `${oneOff.id}-missing`), 404, "stop an unknown container");
});

step("logs url", async () => {
  const url = await client.Apps.logsURL(appName);
  isString(url, "logs_url");
  let parsed;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new Failure(`logs_url is not a URL: ${url}`);
  }
  check(parsed.searchParams.has("token"), `logs_url has no token query parameter (the client appends "&stream=..."): ${url}`);
});

step("logs", async () => {
  // Logs.for() GETs `${logs_url}&stream=false&n=<count>` without the bearer.
  const text = await client.Logs.for(appName, { count: 3 });
  eq(typeof text, "string", "logs type");
  const lines = text.split("\n").filter((l) => l.length > 0);
  check(lines.length > 0, "logs: no line after create, scale, restart and a one-off");
  check(lines.length <= 3, `logs: asked for 3 lines, got ${lines.length}`);
});

step("logs archives", async () => {
  const first = await client.Logs.archives(appName);
  isObject(first, "logs archives");
  isArray(first.archives, "archives");
  eq(typeof first.has_more, "boolean", "has_more type");
  for (const [i, a] of first.archives.entries()) {
    isString(a.url, `archives[${i}].url`);
    eq(typeof a.size, "number", `archives[${i}].size type`);
    isString(a.from, `archives[${i}].from`);
    isString(a.to, `archives[${i}].to`);
  }
  if (first.has_more) {
    isString(first.next_cursor, "next_cursor");
    const next = await client.Logs.archives(appName, first.next_cursor);
    isArray(next.archives, "archives of the next page");
    const seen = new Set(first.archives.map((a) => a.url));
    check(next.archives.every((a) => !seen.has(a.url)), "the next page repeats archives of the first one");
  }
});

step("rename", async () => {
  const app = await client.Apps.rename(appName, appName, newName);
  isObject(app, "renamed app");
  eq(app.name, newName, "renamed app.name");
  eq(app.id, created.id, "renamed app.id");
  await refused(client.Apps.find(appName), 404, "find by the old name");
  const found = await client.Apps.find(newName);
  eq(found.id, created.id, "app found by its new name: id");
});

step("delete with wrong current_name refused", async () => {
  let refusedErr;
  try {
    await client.Apps.destroy(newName, appName);
  } catch (err) {
    if (!isApiError(err)) throw err;
    refusedErr = err;
  }
  check(refusedErr, "delete with a wrong current_name succeeded");
  check(refusedErr.status >= 400 && refusedErr.status < 500 && refusedErr.status !== 404, `delete with a wrong current_name: expected a 4xx refusal other than 404, got ${describeError(refusedErr)}`);
  const app = await client.Apps.find(newName);
  eq(app.id, created.id, "app still there after the refused delete: id");
});

step("delete", async () => {
  await client.Apps.destroy(newName, newName);
  await refused(client.Apps.find(newName), 404, "find after delete");
  const apps = await client.Apps.all();
  check(!apps.some((a) => a.id === created.id), "deleted app still listed");
});

// ---------------------------------------------------------------- runner
function withDeadline(promise, ms) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      let msg = `timed out after ${ms} ms`;
      const op = ctx.operation;
      if (op) msg += ` waiting for operation ${op.id} (${op.type}): last status ${JSON.stringify(op.status)}, error ${JSON.stringify(op.error)}`;
      reject(new Failure(msg));
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function main() {
  if (process.argv.includes("--list")) {
    for (const s of steps) console.log(s.name);
    return 0;
  }
  if (!simUrl) {
    console.log("not ok setup: SIM_URL is not set");
    return 2;
  }
  try {
    const require = createRequire(path.join(path.resolve(env.SCALINGO_JS_DIR || process.cwd()), "noop.js"));
    scalingo = require("scalingo");
    const version = require("scalingo/package.json").version;
    console.log(`# scalingo ${version} against ${simUrl} (auth ${authUrl}), app ${appName}`);
  } catch (err) {
    console.log(`not ok setup: cannot load the scalingo package: ${err.message}`);
    return 2;
  }
  let passed = 0;
  for (const s of steps) {
    const started = Date.now();
    try {
      await withDeadline(Promise.resolve().then(s.fn), stepTimeout);
    } catch (err) {
      console.log(`not ok ${s.name}: ${describeError(err)}`);
      console.log(`# last HTTP exchanges:\n${traceText()}`);
      console.log(`# ${passed} passed, 1 failed, ${steps.length - passed - 1} not run`);
      return 1;
    }
    passed += 1;
    console.log(`ok ${s.name} (${Date.now() - started} ms)`);
  }
  console.log(`# ${passed} passed, 0 failed`);
  return 0;
}

// Exit explicitly: a timed-out Operation.wait() keeps an interval running.
main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`not ok runner: ${describeError(err)}`);
    process.exit(1);
  },
);
