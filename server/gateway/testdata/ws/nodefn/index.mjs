// The WebSocket tests' Node.js function: it broadcasts through the
// @connections API with the AWS SDK for JavaScript v3, as AWS's samples do
// (endpoint https://<domainName>/<stage>, GoneException for closed ones).
import { ApiGatewayManagementApiClient, PostToConnectionCommand, GetConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

export const handler = async (event) => {
  const { domainName, stage, connectionId } = event.requestContext;
  const client = new ApiGatewayManagementApiClient({ endpoint: `https://${domainName}/${stage}` });
  const { to, data } = JSON.parse(event.body);
  const results = {};
  for (const id of to) {
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }));
      results[id] = 'ok';
    } catch (e) {
      results[id] = e.name;
    }
  }
  const me = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
  results.self = me.Identity.SourceIp;
  return { statusCode: 200, body: JSON.stringify(results) };
};
