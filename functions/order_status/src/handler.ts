// order-status: `GET /orders/status?id=<order id>` (HTTP API, payload format 2.0) answers the order's status;
// `GET /health` answers without looking anything up.
// TypeScript, bundled by esbuild into one file (src/handler.js) by lambdakit; the AWS SDK stays external.

import { statusOf, validOrderId } from "./status";

interface HttpEvent {
  rawPath?: string;
  queryStringParameters?: Record<string, string | undefined>;
  requestContext?: { http?: { method?: string } };
}

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function json(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const method = event.requestContext?.http?.method ?? "GET";
  if (method !== "GET") {
    return json(405, { error: `${method} is not allowed` });
  }
  if (event.rawPath === "/health") {
    return json(200, { status: "ok" });
  }
  const id = event.queryStringParameters?.id;
  if (!validOrderId(id)) {
    console.warn("order-status: missing or malformed id", JSON.stringify(id ?? null));
    return json(400, { error: "query parameter id must be 1-64 letters, digits or '-'" });
  }
  const status = statusOf(id);
  console.log("order-status", id, status, process.env.ENVIRONMENT ?? "unknown");
  return json(200, { id, status, environment: process.env.ENVIRONMENT ?? "unknown" });
};
