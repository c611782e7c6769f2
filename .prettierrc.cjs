/** Prettier settings of odoo_ha_addon (OCA 18.0 flavour). */
module.exports = {
    bracketSpacing: false,
    printWidth: 88,
    proseWrap: "always",
    semi: true,
    tabWidth: 4,
    trailingComma: "es5",
    xmlWhitespaceSensitivity: "preserve",
};
