/**
 * Debug logging for the Home Assistant web client.
 *
 * Messages are printed only when Odoo runs in debug mode (`?debug=1`), so the
 * console of an ordinary user stays clean while a developer sees the traffic.
 */

export function isDebugMode() {
    return Boolean(globalThis.odoo?.debug);
}

/**
 * @param {string} scope short name shown in front of every message
 * @param {Console} [sink] where messages go (a test passes its own)
 */
export function createLogger(scope, sink = console) {
    const prefix = `[HA:${scope}]`;
    return {
        debug(...args) {
            if (isDebugMode()) {
                sink.debug(prefix, ...args);
            }
        },
        // Warnings and errors are always shown: they mean something went wrong.
        warn(...args) {
            sink.warn(prefix, ...args);
        },
        error(...args) {
            sink.error(prefix, ...args);
        },
    };
}
