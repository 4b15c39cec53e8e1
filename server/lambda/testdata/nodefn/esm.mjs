export const handler = (event, context, callback) => {
  callback(null, { esm: true, echo: event.echo });
};
