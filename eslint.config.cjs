/** ESLint flat config: ES modules under static/, Odoo and Hoot globals. */
const jsdoc = require("eslint-plugin-jsdoc");
const globals = require("globals");

module.exports = [
    {
        files: ["static/src/**/*.js", "static/tests/**/*.js"],
        plugins: {jsdoc},
        languageOptions: {
            ecmaVersion: 2024,
            sourceType: "module",
            globals: {...globals.browser, odoo: "readonly", luxon: "readonly", Chart: "readonly"},
        },
        rules: {
            "no-unused-vars": ["error", {args: "none"}],
            "no-undef": "error",
            "no-var": "error",
            "prefer-const": "error",
            eqeqeq: ["error", "smart"],
            "no-console": "off",
            "jsdoc/check-tag-names": "error",
            "jsdoc/check-types": "error",
            "jsdoc/require-param-name": "error",
        },
    },
];
