/** Helpers and entities holding a value: numbers, texts, selects, dates and times. */
import {
    clamp,
    simple,
    withValue,
} from "@odoo_ha_addon/components/entity_controller/domains/common";

/** Datetime inputs: which key `set_datetime` wants for a value. */
export function datetimeKind(value) {
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
        return "datetime";
    }
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        return "date";
    }
    return "time";
}

/** An input's value as Home Assistant writes it ("2026-01-02 08:00:00", "07:30:00"). */
function normalizeDatetime(value) {
    const text = String(value || "").replace("T", " ");
    if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(text) || /^\d{2}:\d{2}$/.test(text)) {
        return `${text}:00`;
    }
    return text;
}

const NUMBER = {
    set_value: (entity, value) => {
        const number = clamp(value, entity.attributes.min, entity.attributes.max);
        return {
            service: "set_value",
            data: {value: number},
            optimistic: {state: String(number)},
        };
    },
};

const TEXT = {set_value: withValue("set_value", "value")};

const SELECT = {
    select_option: (entity, option) => ({
        service: "select_option",
        data: {option},
        optimistic: {state: option},
    }),
    select_next: simple("select_next"),
    select_previous: simple("select_previous"),
    select_first: simple("select_first"),
    select_last: simple("select_last"),
};

export const INPUT_DOMAINS = {
    input_number: {
        family: "number",
        actions: {
            ...NUMBER,
            increment: simple("increment"),
            decrement: simple("decrement"),
        },
    },
    number: {family: "number", actions: NUMBER},
    input_text: {family: "text", actions: TEXT},
    text: {family: "text", actions: TEXT},
    input_select: {family: "select", actions: SELECT},
    select: {family: "select", actions: SELECT},
    input_datetime: {
        family: "datetime",
        actions: {
            set_value: (entity, value) => {
                const text = normalizeDatetime(value);
                return {
                    service: "set_datetime",
                    data: {[datetimeKind(text)]: text},
                    optimistic: {state: text},
                };
            },
        },
    },
    date: {family: "datetime", actions: {set_value: withValue("set_value", "date")}},
    time: {
        family: "datetime",
        actions: {
            set_value: (entity, value) => ({
                service: "set_value",
                data: {time: normalizeDatetime(value)},
                optimistic: {state: normalizeDatetime(value)},
            }),
        },
    },
    datetime: {
        family: "datetime",
        actions: {
            set_value: (entity, value) => ({
                service: "set_value",
                data: {datetime: normalizeDatetime(value)},
                optimistic: null,
            }),
        },
    },
};
