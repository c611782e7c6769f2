import {describe, expect, test} from "@odoo/hoot";
import {patchWithCleanup} from "@web/../tests/web_test_helpers";
import {createLogger, isDebugMode} from "@odoo_ha_addon/util/debug";

function makeSink() {
    const calls = [];
    const record =
        (level) =>
        (...args) =>
            calls.push([level, ...args]);
    return {
        calls,
        debug: record("debug"),
        warn: record("warn"),
        error: record("error"),
    };
}

describe("util/debug", () => {
    test("debug messages are dropped outside debug mode", () => {
        patchWithCleanup(odoo, {debug: ""});
        const sink = makeSink();
        createLogger("bus", sink).debug("state", 1);
        expect(isDebugMode()).toBe(false);
        expect(sink.calls).toEqual([]);
    });

    test("debug messages carry the scope in debug mode", () => {
        patchWithCleanup(odoo, {debug: "1"});
        const sink = makeSink();
        createLogger("bus", sink).debug("state", 1);
        expect(isDebugMode()).toBe(true);
        expect(sink.calls).toEqual([["debug", "[HA:bus]", "state", 1]]);
    });

    test("warnings and errors are always shown", () => {
        patchWithCleanup(odoo, {debug: ""});
        const sink = makeSink();
        const logger = createLogger("data", sink);
        logger.warn("slow");
        logger.error("down");
        expect(sink.calls).toEqual([
            ["warn", "[HA:data]", "slow"],
            ["error", "[HA:data]", "down"],
        ]);
    });
});
