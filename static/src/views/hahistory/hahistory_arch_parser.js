/** Reads `<hahistory domain="sensor,light" limit="50" max_points_per_entity="200"/>`. */
export class HaHistoryArchParser {
    parse(arch) {
        const node =
            typeof arch === "string"
                ? new DOMParser().parseFromString(arch, "text/xml").documentElement
                : arch;
        const domains = (node.getAttribute("domain") || "")
            .split(",")
            .map((domain) => domain.trim())
            .filter(Boolean);
        return {
            domains,
            limit: parseInt(node.getAttribute("limit") || "50", 10),
            maxPoints: parseInt(
                node.getAttribute("max_points_per_entity") || "200",
                10
            ),
            displayMode: node.getAttribute("display_mode") || "separate",
        };
    }
}
