// The demo's Node.js function: POST /greet with {"name": "..."}.
export const handler = async (event) => {
  const input = JSON.parse(event.body ?? "{}");
  console.log("greet", input);
  if (!input.name) {
    return { statusCode: 400, body: JSON.stringify({ error: "name is required" }) };
  }
  return { greeting: `Hi ${input.name}`, at: event.requestContext.time };
};
