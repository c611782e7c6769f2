import {describe, expect, test} from "@odoo/hoot";
import {advanceTime} from "@odoo/hoot-mock";
import {
    GLOBAL_SCOPE,
    HaDataCache,
    STATE_KEYS,
} from "@odoo_ha_addon/services/ha_data_cache";

describe("services/ha_data_cache", () => {
    test("a pattern drops matching keys only, in one scope or in all", () => {
        const cache = new HaDataCache(1000);
        for (const scope of [1, 2]) {
            cache.set(scope, "ha_data_{}", "states");
            cache.set(scope, "areas", "areas");
        }
        cache.set(false, "instances", "list");
        expect(cache.scope(false)).toBe(GLOBAL_SCOPE);

        cache.invalidate(1, STATE_KEYS);
        expect([cache.get(1, "ha_data_{}"), cache.get(1, "areas")]).toEqual([
            undefined,
            "areas",
        ]);
        expect(cache.get(2, "ha_data_{}")).toBe("states");

        cache.invalidate(false, /^areas$/);
        expect([cache.get(1, "areas"), cache.get(2, "areas")]).toEqual([
            undefined,
            undefined,
        ]);
        expect(cache.get(false, "instances")).toBe("list");

        cache.invalidate(2);
        expect(cache.get(2, "ha_data_{}")).toBe(undefined);
        expect(cache.get(false, "instances")).toBe("list");
    });

    test("load calls the loader once within the TTL", async () => {
        const cache = new HaDataCache(1000);
        let loads = 0;
        const loader = async () => ++loads;
        expect(await cache.load(3, "k", loader)).toBe(1);
        expect(await cache.load(3, "k", loader)).toBe(1);
        await advanceTime(1001);
        expect(await cache.load(3, "k", loader)).toBe(2);
        expect(loads).toBe(2);
    });
});
