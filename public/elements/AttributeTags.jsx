// The attributes predicted for a photo: one row per attribute, the top label with a confidence
// bar, the runner-up labels in small print. Props: {title, photo, rows: [{key, name,
// labels: [{label, confidence, percent}]}]} (built by stylist/ui/artifacts.py).
export default function AttributeTags() {
  const rows = props.rows || [];
  return (
    <div data-testid="attribute-tags" className="rounded-md border p-3 w-full max-w-xl">
      <div className="font-semibold mb-2">{props.title}</div>
      {rows.map((row) => {
        const top = row.labels[0];
        const others = row.labels.slice(1);
        return (
          <div
            key={row.key}
            data-testid="tag-row"
            data-attribute={row.key}
            data-label={top.label}
            data-confidence={top.confidence}
            style={{ display: "grid", gridTemplateColumns: "7rem 1fr 3.5rem", gap: "0.5rem",
                     alignItems: "center", marginBottom: "0.35rem" }}
          >
            <span className="text-muted-foreground text-sm">{row.name}</span>
            <div>
              <div className="text-sm font-medium">{top.label}</div>
              <div className="bg-muted rounded-full" style={{ height: "6px", overflow: "hidden" }}>
                <div className="bg-primary" role="meter" aria-valuenow={top.percent}
                     aria-valuemin={0} aria-valuemax={100} aria-label={`${row.name} confidence`}
                     style={{ width: `${top.percent}%`, height: "100%" }} />
              </div>
              {others.length > 0 && (
                <div className="text-muted-foreground" style={{ fontSize: "0.7rem" }}>
                  {others.map((o) => `${o.label} ${o.percent}%`).join(" · ")}
                </div>
              )}
            </div>
            <span data-testid="tag-confidence" className="text-sm" style={{ textAlign: "right" }}>
              {top.percent}%
            </span>
          </div>
        );
      })}
    </div>
  );
}
