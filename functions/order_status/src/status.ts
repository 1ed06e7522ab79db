// The order status model: a pure function of the order id, so the reference program needs no database.

export type Status = "received" | "packed" | "shipped";

const STATUSES: readonly Status[] = ["received", "packed", "shipped"];

export function statusOf(orderId: string): Status {
  let sum = 0;
  for (const ch of orderId) sum = (sum + ch.charCodeAt(0)) % 997;
  return STATUSES[sum % STATUSES.length];
}

export function validOrderId(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9-]{1,64}$/.test(value);
}
