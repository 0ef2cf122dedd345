// Drives every Bitcoin block, transaction, address and mempool function of
// the mempool.space client library (@mempool/mempool.js, pinned in
// package-lock.json) against a taintline server, comparing each answer
// with the truth the test program wrote from the chain it built. Run by
// tests/test_esplora_client.c:  node drive.mjs HOST:PORT TRUTH.json
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import mempoolJS from "@mempool/mempool.js";

const [host, truthPath] = process.argv.slice(2);
const T = JSON.parse(readFileSync(truthPath, "utf8"));
const client = mempoolJS({ hostname: host, protocol: "http" });
// Binary answers (raw blocks and transactions) need bytes, not text.
const binary = mempoolJS({ hostname: host, protocol: "http", config: { responseType: "arraybuffer" } });
const { addresses, blocks, transactions, mempool } = client.bitcoin;

let passed = 0, failed = 0;
function check(name, cond, detail) {
	if (cond) { passed++; console.log(`ok   ${name}`); }
	else { failed++; console.log(`FAIL ${name}: ${detail ?? ""}`); }
}
async function run(name, fn) {
	try { await fn(); } catch (e) {
		failed++;
		console.log(`FAIL ${name}: ${e.response ? `${e.response.status} ${JSON.stringify(e.response.data)}` : e.message}`);
	}
}
const sha256d = (b) => createHash("sha256").update(createHash("sha256").update(b).digest()).digest();
const displayHex = (b) => Buffer.from(b).reverse().toString("hex");
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ---- blocks ----
await run("getBlocksTipHeight", async () => check("getBlocksTipHeight", (await blocks.getBlocksTipHeight()) === T.tip_height));
await run("getBlocksTipHash", async () => check("getBlocksTipHash", (await blocks.getBlocksTipHash()) === T.tip_hash));
await run("getBlocks", async () => {
	const bs = await blocks.getBlocks({ start_height: T.tip_height });
	check("getBlocks", bs.length === 10 && bs.every((b, i) => b.height === T.tip_height - i), JSON.stringify(bs.map((b) => b.height)));
});
for (const B of T.blocks) {
	const n = `block ${B.height}`;
	await run(`getBlockHeight ${n}`, async () => check(`getBlockHeight ${n}`, (await blocks.getBlockHeight({ height: B.height })) === B.hash));
	await run(`getBlock ${n}`, async () => {
		const b = await blocks.getBlock({ hash: B.hash });
		check(`getBlock ${n}`, b.id === B.hash && b.height === B.height && b.tx_count === B.txids.length, JSON.stringify(b));
	});
	await run(`getBlockStatus ${n}`, async () => {
		const s = await blocks.getBlockStatus({ hash: B.hash });
		check(`getBlockStatus ${n}`, s.in_best_chain === true && s.height === B.height && (s.next_best ?? null) === B.next_best, JSON.stringify(s));
	});
	await run(`getBlockTxids ${n}`, async () => check(`getBlockTxids ${n}`, eq(await blocks.getBlockTxids({ hash: B.hash }), B.txids)));
	await run(`getBlockTxid ${n}`, async () => {
		const i = B.txids.length - 1;
		check(`getBlockTxid ${n}`, (await blocks.getBlockTxid({ hash: B.hash, index: i })) === B.txids[i]);
	});
	await run(`getBlockTxs ${n}`, async () => {
		const got = [];
		for (let start = 0; start < B.txids.length; start += 25) {
			for (const tx of await blocks.getBlockTxs({ hash: B.hash, start_index: start })) got.push(tx.txid);
		}
		check(`getBlockTxs ${n}`, eq(got, B.txids), `${got.length} of ${B.txids.length}`);
	});
	await run(`getBlockHeader ${n}`, async () => check(`getBlockHeader ${n}`, (await blocks.getBlockHeader({ hash: B.hash })) === B.raw.slice(0, 160)));
	await run(`getBlockRaw ${n}`, async () => {
		const raw = Buffer.from(await binary.bitcoin.blocks.getBlockRaw({ hash: B.hash }));
		check(`getBlockRaw ${n}`, raw.toString("hex") === B.raw && displayHex(sha256d(raw.subarray(0, 80))) === B.hash);
	});
}

// ---- transactions ----
for (const X of T.txs) {
	const n = `tx ${X.txid.slice(0, 8)}`;
	const B = T.blocks.find((b) => b.hash === X.block_hash);
	await run(`getTx ${n}`, async () => {
		const tx = await transactions.getTx({ txid: X.txid });
		check(`getTx ${n}`, tx.txid === X.txid && tx.status.confirmed && tx.status.block_hash === X.block_hash && tx.status.block_height === B.height);
	});
	await run(`getTxStatus ${n}`, async () => {
		const s = await transactions.getTxStatus({ txid: X.txid });
		check(`getTxStatus ${n}`, s.confirmed === true && s.block_height === B.height && s.block_hash === X.block_hash, JSON.stringify(s));
	});
	let hex = "";
	await run(`getTxHex ${n}`, async () => {
		hex = await transactions.getTxHex({ txid: X.txid });
		// No witnesses in this chain: the txid is the hash of every byte, and the block holds them.
		check(`getTxHex ${n}`, displayHex(sha256d(Buffer.from(hex, "hex"))) === X.txid && B.raw.includes(hex));
	});
	await run(`getTxRaw ${n}`, async () => {
		const raw = Buffer.from(await binary.bitcoin.transactions.getTxRaw({ txid: X.txid }));
		check(`getTxRaw ${n}`, raw.toString("hex") === hex);
	});
	await run(`getTxMerkleProof ${n}`, async () => {
		const p = await transactions.getTxMerkleProof({ txid: X.txid });
		let acc = Buffer.from(X.txid, "hex").reverse(), pos = p.pos;
		for (const h of p.merkle) {
			const sib = Buffer.from(h, "hex").reverse();
			acc = sha256d(pos & 1 ? Buffer.concat([sib, acc]) : Buffer.concat([acc, sib]));
			pos >>= 1;
		}
		const root = Buffer.from(B.raw.slice(72, 136), "hex"); // header bytes 36..68
		check(`getTxMerkleProof ${n}`, p.block_height === B.height && p.pos === B.txids.indexOf(X.txid) && acc.equals(root));
	});
	await run(`getTxMerkleBlockProof ${n}`, async () => {
		const mb = await transactions.getTxMerkleBlockProof({ txid: X.txid });
		const count = Buffer.from(mb.slice(160, 168), "hex").readUInt32LE(0);
		check(`getTxMerkleBlockProof ${n}`, mb.startsWith(B.raw.slice(0, 160)) && count === B.txids.length);
	});
	await run(`getTxOutspends ${n}`, async () => {
		const os = await transactions.getTxOutspends({ txid: X.txid });
		check(`getTxOutspends ${n}`, eq(os.map((o) => o.spent ? o.txid : null), X.spenders), JSON.stringify(os));
	});
	await run(`getTxOutspend ${n}`, async () => {
		const o = await transactions.getTxOutspend({ txid: X.txid, vout: 0 });
		check(`getTxOutspend ${n}`, (o.spent ? o.txid : null) === X.spenders[0] && (!o.spent || o.vin === 0));
	});
}
await run("postTx", async () => {
	try {
		await transactions.postTx({ txhex: "0100" });
		check("postTx", false, "accepted");
	} catch (e) {
		check("postTx", e.response && e.response.status === 501 && e.response.data.error === "not_implemented", e.message);
	}
});

// ---- addresses ----
const A = T.address;
await run("getAddress", async () => {
	const a = await addresses.getAddress({ address: A });
	check("getAddress", a.address === A && a.chain_stats.tx_count === T.history.length && a.mempool_stats.tx_count === 0, JSON.stringify(a));
});
await run("getAddressTxs (paging with after_txid)", async () => {
	const seen = [], ids = new Set();
	let after;
	for (let page = 0; page < T.history.length / 25 + 2; page++) {
		const txs = await addresses.getAddressTxs(after ? { address: A, after_txid: after } : { address: A });
		for (const tx of txs) { seen.push(tx.txid); ids.add(tx.txid); }
		if (txs.length < 25) break;
		after = txs[txs.length - 1].txid;
	}
	check("getAddressTxs (paging with after_txid)", eq(seen, T.history) && ids.size === seen.length,
		`${seen.length} listed, ${ids.size} distinct, ${T.history.length} in the history`);
});
await run("getAddressTxsChain", async () => check("getAddressTxsChain", eq((await addresses.getAddressTxsChain({ address: A })).map((t) => t.txid), T.history.slice(0, 25))));
await run("getAddressTxsMempool", async () => check("getAddressTxsMempool", eq(await addresses.getAddressTxsMempool({ address: A }), [])));
await run("getAddressTxsUtxo", async () => {
	const u = await addresses.getAddressTxsUtxo({ address: A });
	check("getAddressTxsUtxo", eq(u.map((x) => [x.txid, x.vout, x.value]), T.utxo), JSON.stringify(u));
});

// ---- mempool (none) ----
await run("getMempool", async () => { const m = await mempool.getMempool(); check("getMempool", m.count === 0 && m.vsize === 0 && eq(m.fee_histogram, [])); });
await run("getMempoolTxids", async () => check("getMempoolTxids", eq(await mempool.getMempoolTxids(), [])));
await run("getMempoolRecent", async () => check("getMempoolRecent", eq(await mempool.getMempoolRecent(), [])));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
