-- wrk script: every request asks for a random key of a list made by
-- bench_keys, so that the server's caches see what many clients asking
-- about many addresses and outpoints would make them see.
--   wrk -s bench/random_keys.lua URL -- ROUTE KEYS_FILE
-- ROUTE: screen-address, screen-outpoint, address (/api/address/:a) or
-- tx (/api/tx/:txid).
local paths = {}

function init(args)
	local route, file = args[1], args[2]
	for line in io.lines(file) do
		local t, k = line:match("^(%a) (.+)$")
		if route == "screen-outpoint" and t == "o" then
			paths[#paths + 1] = "/v1/screen?outpoint=" .. k
		elseif route == "screen-address" and t == "a" then
			paths[#paths + 1] = "/v1/screen?address=" .. k
		elseif route == "address" and t == "a" then
			paths[#paths + 1] = "/api/address/" .. k
		elseif route == "tx" and t == "o" then
			paths[#paths + 1] = "/api/tx/" .. k:match("^(%x+):")
		end
	end
	if #paths == 0 then error("no keys for route " .. tostring(route) .. " in " .. tostring(file)) end
	math.randomseed(os.time() + #paths)
end

function request()
	return wrk.format("GET", paths[math.random(#paths)])
end
