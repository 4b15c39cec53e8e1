// The demo's Node.js function: POST /greet with {"name": "..."}.
// HTTP APIs base64-encode every body that is not text or JSON (curl -d sends
// application/x-www-form-urlencoded), so the function decodes when told to.
export const handler = async (event) => {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString() : event.body;
  const input = JSON.parse(raw || "{}");
  console.log("greet", input);
  if (!input.name) {
    return { statusCode: 400, body: JSON.stringify({ error: "name is required" }) };
  }
  return { greeting: `Hi ${input.name}`, at: event.requestContext.time };
};
