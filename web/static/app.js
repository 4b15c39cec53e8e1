// app.js: the entry module of every dashboard page. It starts the part the
// page needs (body data-page); the modules do the work, and the replay pages
// load replay.js as well. No dependencies and no build step: the browser
// loads these ES modules as they are.
import { initConnection, initConnections } from './connections.js';
import { initInspector } from './inspector.js';
import { initList } from './list.js';
import { initSessionBar } from './session.js';

document.documentElement.classList.add('js');
const page = document.body.dataset.page;
if (page === 'list') {
  initList();
  initSessionBar();
}
if (page === 'inspector') initInspector();
if (page === 'connections') initConnections();
if (page === 'connection') initConnection();
