// Reads an HTML page on stdin, prints Readability.js's article.content HTML on
// stdout (the scorer turns HTML output into text paragraph by paragraph).
// Needs @mozilla/readability and jsdom on NODE_PATH.
const { JSDOM, VirtualConsole } = require("jsdom");
const { Readability } = require("@mozilla/readability");

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const html = Buffer.concat(chunks).toString("utf8");
  const virtualConsole = new VirtualConsole(); // silence CSS parse errors
  const dom = new JSDOM(html, { url: "https://example.com/", virtualConsole });
  const article = new Readability(dom.window.document).parse();
  process.stdout.write(article && article.content ? article.content : "");
});
