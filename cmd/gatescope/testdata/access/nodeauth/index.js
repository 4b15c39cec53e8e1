// A TOKEN authorizer as the API Gateway guide writes them: "Bearer allow-*"
// is allowed GET /token/*, "Bearer narrow" only GET /token/1, "Bearer deny"
// is denied explicitly, "Bearer unauthorized" is refused with 401, and
// "Bearer broken" returns a context API Gateway cannot pass on.
exports.handler = async (event) => {
  const token = event.authorizationToken.replace(/^Bearer /, "");
  const [arnHead, stage] = event.methodArn.split("/");
  const base = arnHead + "/" + stage;
  const policy = (effect, resource) => ({
    principalId: "user-" + token,
    policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: resource }] },
    context: { user: token, n: 123, ok: true },
  });
  if (token === "unauthorized") throw new Error("Unauthorized");
  if (token === "deny") return policy("Deny", base + "/*");
  if (token === "narrow") return policy("Allow", base + "/GET/token/1");
  if (token === "broken") return { ...policy("Allow", base + "/*"), context: { user: { id: 1 } } };
  if (token.startsWith("allow")) return policy("Allow", base + "/GET/token/*");
  throw new Error("unexpected token " + token);
};
