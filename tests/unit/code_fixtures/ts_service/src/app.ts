import ms from "ms";

interface Event {
  delay?: string;
}

// The runtime provides the AWS SDK v3: it stays external (loaded only when used).
export async function stsClient(): Promise<unknown> {
  const { STSClient } = await import("@aws-sdk/client-sts");
  return new STSClient({});
}

export const handler = async (event: Event) => {
  return { statusCode: 200, body: JSON.stringify({ millis: ms(event.delay ?? "2s") }) };
};
