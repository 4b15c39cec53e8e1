// CommonJS fixtures for the Node bootstrap tests.
exports.echo = async (event, context) => ({
  event,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memoryLimitInMB: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  awsRequestId: context.awsRequestId,
  invokedFunctionArn: context.invokedFunctionArn,
  remainingPositive: context.getRemainingTimeInMillis() > 0,
  clientContext: context.clientContext ?? null,
  identity: context.identity ?? null,
  waits: context.callbackWaitsForEmptyEventLoop,
  traceId: process.env._X_AMZN_TRACE_ID ?? null,
});

exports.callback = (event, context, callback) => {
  setTimeout(() => callback(null, { via: 'callback', n: event.n }), 5);
};

exports.noWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => {}, 60000); // would hold the invoke if the runtime waited
  callback(null, 'early');
};

exports.throws = async () => {
  throw new Error('boom');
};

exports.typeError = async () => {
  null.x;
};

exports.callbackError = (event, context, callback) => callback(new RangeError('out of range'));

exports.throwString = async () => {
  throw 'plain string';
};

exports.undef = async () => undefined;

exports.syncNoCallback = () => 'ignored'; // the runtime answers null

exports.circular = async () => {
  const a = {};
  a.self = a;
  return a;
};

exports.log = async (event, context) => {
  console.log('hello %s', 'world');
  console.warn('careful');
  console.error('two\nlines');
  return 'logged';
};

exports.notAFunction = 42;

exports.unhandledRejection = async () => {
  Promise.reject(new Error('nobody awaits me'));
  return new Promise(() => {});
};

exports.pendingTimer = async () => {
  setTimeout(() => {}, 60000);
  return new Promise(() => {}); // never settles: gatescope's timeout ends it
};
