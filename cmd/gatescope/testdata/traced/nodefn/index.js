// An instrumented Node.js function: aws-xray-sdk-core in Lambda mode reads
// the trace header the runtime puts in _X_AMZN_TRACE_ID and sends each
// subsegment alone to AWS_XRAY_DAEMON_ADDRESS when it closes.
const AWSXRay = require('aws-xray-sdk-core');

exports.handler = async (event) => {
  const facade = AWSXRay.getSegment();
  const work = facade.addNewSubsegment('render-invoice');
  work.addAnnotation('lang', 'node');
  work.addMetadata('invoice', { lines: 3 });
  const call = work.addNewSubsegment('billing.example');
  call.namespace = 'remote';
  call.http = { request: { method: 'POST', url: 'https://billing.example/charge' }, response: { status: 429 } };
  call.addThrottleFlag();
  call.addErrorFlag();
  call.close();
  work.close();
  return { statusCode: 200, body: 'node traced' };
};
