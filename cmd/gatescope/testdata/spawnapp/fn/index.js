// Starts two processes that outlive the invocation, as a function that
// launches a daemon would: one in a session of its own (setsid), one in
// the function's process group. Answers their pids. With ?busy=FILE it
// instead writes FILE and stays busy for a minute.
const { spawn } = require('child_process');
const fs = require('fs');

exports.handler = async (event) => {
  const busy = (event.queryStringParameters || {}).busy;
  if (busy) {
    fs.writeFileSync(busy, String(process.pid));
    await new Promise(resolve => setTimeout(resolve, 60000));
    return { statusCode: 200, body: 'done' };
  }
  const escaped = spawn('setsid', ['sleep', '300'], { stdio: 'ignore' });
  const plain = spawn('sleep', ['301'], { stdio: 'ignore' });
  return { statusCode: 200, body: JSON.stringify({ pids: [escaped.pid, plain.pid] }) };
};
