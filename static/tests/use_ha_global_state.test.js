import {describe, expect, test} from "@odoo/hoot";
import {animationFrame} from "@odoo/hoot-mock";
import {Component, onWillDestroy, onWillStart, useState, xml} from "@odoo/owl";
import {getService, mountWithCleanup} from "@web/../tests/web_test_helpers";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

/** Every delivery of the hook, as [event, instanceId]. */
let received = [];
/** Resolves the children's `onWillStart`; a child whose promise stays open never mounts. */
let willStart = () => undefined;
let destroyed = 0;
let lastListener = null;

class Listener extends Component {
    static template = xml`<div class="o_listener"/>`;
    static props = {events: [String, Array]};

    setup() {
        this.unsubscribe = useHaGlobalState(this.props.events, (payload, event) =>
            received.push([event, payload.instanceId])
        );
        onWillStart(() => willStart());
        onWillDestroy(() => destroyed++);
        lastListener = this;
    }
}

class Host extends Component {
    static template = xml`<Listener t-if="state.show" events="props.events"/>`;
    static components = {Listener};
    static props = {events: [String, Array], show: {type: Boolean, optional: true}};

    setup() {
        this.state = useState({show: this.props.show ?? true});
    }
}

function push(type, instanceId) {
    getService("ha_data").handleBusNotification(type, {ha_instance_id: instanceId});
}

async function mountHost(props) {
    received = [];
    willStart = () => undefined;
    destroyed = 0;
    lastListener = null;
    return mountWithCleanup(Host, {props});
}

describe("util/use_ha_global_state", () => {
    test("delivers its events while mounted, nothing after destroy", async () => {
        const host = await mountHost({events: ["history_update", "entity_update_all"]});
        expect(".o_listener").toHaveCount(1);
        push("ha_history_update", 1);
        push("ha_entity_update_all", 2);
        push("ha_area_registry_update", 3); // not subscribed
        expect(received).toEqual([
            ["history_update", 1],
            ["entity_update_all", 2],
        ]);

        // A listener of the service itself, to show the events still flow.
        let serviceCalls = 0;
        getService("ha_data").onGlobalState("history_update", () => serviceCalls++);
        host.state.show = false;
        await animationFrame();
        expect(".o_listener").toHaveCount(0);
        expect(destroyed).toBe(1);
        push("ha_history_update", 1);
        push("ha_entity_update_all", 2);
        expect(serviceCalls).toBe(1);
        expect(received.length).toBe(2);
    });

    test("one event given as a string", async () => {
        await mountHost({events: "websocket_status"});
        push("ha_websocket_status", 4);
        push("ha_websocket_status", 5);
        expect(received).toEqual([
            ["websocket_status", 4],
            ["websocket_status", 5],
        ]);
    });

    test("a component destroyed before it was mounted is unsubscribed", async () => {
        const host = await mountHost({events: "history_update", show: false});
        // The child is set up (and subscribed) but waits in onWillStart forever.
        willStart = () => new Promise(() => {});
        host.state.show = true;
        await animationFrame();
        expect(".o_listener").toHaveCount(0);
        push("ha_history_update", 1);
        expect(received).toEqual([["history_update", 1]]);

        host.state.show = false;
        await animationFrame();
        expect(destroyed).toBe(1);
        push("ha_history_update", 1);
        expect(received.length).toBe(1);
    });

    test("the returned function unsubscribes early", async () => {
        await mountHost({events: ["history_update", "websocket_status"]});
        push("ha_history_update", 1);
        expect(received.length).toBe(1);
        lastListener.unsubscribe();
        push("ha_history_update", 1);
        push("ha_websocket_status", 1);
        expect(received.length).toBe(1);
        // Still mounted: only the subscription is gone.
        expect(".o_listener").toHaveCount(1);
    });
});
