import ms from "ms";
import { STSClient } from "@aws-sdk/client-sts";

interface Event { delay?: string }

export const handler = async (event: Event) => {
  const client: unknown = STSClient;
  return { statusCode: 200, body: JSON.stringify({ millis: ms(event.delay ?? "2s"), sdk: typeof client }) };
};
