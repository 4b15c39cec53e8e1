// greet reads a name the request did not send.
export function greet(query) {
  return 'hello ' + query.name.trim();
}
