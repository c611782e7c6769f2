import {registry} from "@web/core/registry";
import {rpc} from "@web/core/network/rpc";
import {labelledStates, labelledStatuses} from "@odoo_ha_addon/util/ha_labels";
import {
    noBrokenTextStep,
    openHistorySteps,
} from "@odoo_ha_addon/../tests/tours/ha_tour_utils";

/** The config parameter the Python test fills with our terms (see below). */
const TERMS_PARAM = "odoo_ha_addon.tour_terms";
/** Attributes whose text people see and templates translate (tooltips...). */
const SHOWN_ATTRIBUTES = ["title", "placeholder", "alt"];

let setup = null;

/**
 * What the Python test read: `terms`, `{english: translation}` of every entry of
 * the addon's translation file whose translation differs, and `ha`, the texts
 * Home Assistant itself sent (names of entities, devices, areas...: HA's own
 * strings, shown as HA wrote them even when one reads like our English).
 */
async function loadSetup() {
    if (!setup) {
        const raw = await rpc("/web/dataset/call_kw/ir.config_parameter/get_param", {
            model: "ir.config_parameter",
            method: "get_param",
            args: [TERMS_PARAM],
            kwargs: {},
        });
        const {terms, ha} = JSON.parse(raw || "{}");
        if (!terms || Object.keys(terms).length < 100) {
            throw new Error("the Python test gave no terms: setup failed");
        }
        setup = {terms, ha: new Set(ha || [])};
    }
    return setup;
}

function isShown(element) {
    return element.checkVisibility ? element.checkVisibility() : element.offsetParent;
}

/** Every text people can see on the page: text nodes and shown attributes. */
function shownTexts(root = document.body) {
    const texts = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue.trim();
        const parent = node.parentElement;
        if (text && parent && !["SCRIPT", "STYLE"].includes(parent.tagName)) {
            if (isShown(parent)) {
                texts.push({text, where: parent});
            }
        }
    }
    for (const element of root.querySelectorAll("*")) {
        for (const name of SHOWN_ATTRIBUTES) {
            const text = (element.getAttribute(name) || "").trim();
            if (text && isShown(element)) {
                texts.push({text, where: element});
            }
        }
    }
    return texts;
}

/**
 * A step failing when the page shows one of our English terms (a text equal to
 * an English source whose translation differs), a state or status badge with
 * HA's raw code where we have a label, or fewer than `minTranslated` of our
 * translations (the page would not really be in Chinese).
 */
function noEnglishStep(where, minTranslated = 3) {
    return {
        content: `No English term of the addon on ${where}`,
        trigger: "body",
        async run() {
            const {terms: known, ha} = await loadSetup();
            const translations = new Set(Object.values(known));
            const texts = shownTexts();
            const english = texts.filter(
                ({text}) => Object.hasOwn(known, text) && !ha.has(text)
            );
            const raw = [
                ...document.querySelectorAll(
                    ".o_odoo_ha_addon_state, .o_odoo_ha_addon_status"
                ),
            ]
                .map((badge) => badge.textContent.trim())
                .filter((text) =>
                    [...labelledStates(), ...labelledStatuses()].includes(text)
                );
            const translated = new Set(
                texts.map(({text}) => text).filter((text) => translations.has(text))
            );
            const problems = [
                ...english.map(
                    ({text, where}) => `"${text}" in <${where.tagName.toLowerCase()}>`
                ),
                ...raw.map((text) => `raw code "${text}" in a badge`),
            ];
            if (problems.length) {
                throw new Error(`English on ${where}: ${problems.join(", ")}`);
            }
            if (translated.size < minTranslated) {
                throw new Error(
                    `only ${translated.size} of our translations on ${where}: ` +
                        JSON.stringify([...translated])
                );
            }
        },
    };
}

function doAction(action) {
    return odoo.__WOWL_DEBUG__.root.env.services.action.doAction(action);
}

/**
 * The dashboard (area dashboard and HA info), the entity kanban, the history
 * and the settings as a zh_TW user. Needs (made by the Python test): the user's
 * language zh_TW with the translations loaded, an instance synced from the
 * simulator's demo home, history rows, and TERMS_PARAM.
 */
registry.category("web_tour.tours").add("odoo_ha_addon_zh_tw_tour", {
    url: "/odoo/ha-dashboard",
    steps: () => [
        {
            content: "The dashboard shows the instance and the area's devices",
            trigger:
                ".o_odoo_ha_addon_dashboard .o_odoo_ha_addon_instance_card:contains('實體')",
        },
        {
            content: "The area dashboard shows live controllers",
            trigger:
                ".o_odoo_ha_addon_area_dashboard .o_odoo_ha_addon_entity_controller",
        },
        noBrokenTextStep("the dashboard"),
        noEnglishStep("the dashboard"),
        {
            content: "Open the HA info panel",
            trigger: ".o_odoo_ha_addon_show_info",
            run: "click",
        },
        {
            content: "The info panel is shown",
            trigger: ".o_odoo_ha_addon_info_panel dl",
        },
        noEnglishStep("the HA info panel"),
        {
            content: "Open the entities",
            trigger: ".o_odoo_ha_addon_open_entities",
            run: "click",
        },
        {
            content: "The kanban shows live controllers",
            trigger: ".o_kanban_record .o_odoo_ha_addon_entity_controller",
        },
        noBrokenTextStep("the entity kanban"),
        noEnglishStep("the entity kanban"),
        ...openHistorySteps(),
        noBrokenTextStep("the history"),
        noEnglishStep("the history"),
        {
            content: "Open the settings",
            trigger: "body",
            run: () => doAction("odoo_ha_addon.ha_settings_action"),
        },
        {
            content: "The Home Assistant settings are shown",
            trigger: "#ha_instance_setting",
        },
        noBrokenTextStep("the settings"),
        noEnglishStep("the settings"),
    ],
});
