exports.handler = async () => 'from src/app.js';
