// Writes a gzip copy beside every text asset of the build, so fazhi serves the compressed
// bytes to browsers that accept them (intranet links are slow; nothing is compressed per request).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, constants } from "node:zlib";

const out = process.env.FAZHI_WEB_OUT ?? "dist";
const TEXT = /\.(html|js|css|svg|json|txt)$/;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      walk(path);
    } else if (TEXT.test(name)) {
      const raw = readFileSync(path);
      const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION });
      if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz);
    }
  }
}
walk(out);
