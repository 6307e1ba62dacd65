// Refuses two migrations with the same number (parallel branches each adding "0005_..."):
// wrangler applies by file name, so the journal's order and the applied order would differ.
import { readdirSync } from "node:fs";

const files = readdirSync("drizzle")
  .filter((name) => name.endsWith(".sql"))
  .sort();
const seen = new Map();
const problems = [];
for (const file of files) {
  const match = /^(\d{4})_[\w-]+\.sql$/.exec(file);
  if (!match) problems.push(`${file}: not named NNNN_name.sql`);
  else if (seen.has(match[1])) problems.push(`${file}: number ${match[1]} is already used by ${seen.get(match[1])}`);
  else seen.set(match[1], file);
}
const numbers = [...seen.keys()].map(Number);
numbers.forEach((n, i) => {
  if (n !== i)
    problems.push(`migration numbers must run 0000, 0001, ... without gaps: found ${String(n).padStart(4, "0")} at position ${i}`);
});
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`${files.length} migrations, numbered without duplicates or gaps`);
