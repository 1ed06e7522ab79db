const ms = require("ms");

exports.handler = async (event) => ({ statusCode: 200, body: String(ms(event.delay || "1s")) });
