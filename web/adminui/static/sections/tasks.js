// ---- Tasks: placeholder until its server methods land --------------------------
// The routing helper replaces this file with the real section (README.md).
window.sbAdmin.section({ id: 'tasks', title: 'Tasks', order: 70, html: `
<h2>Tasks</h2>
<p class="muted" data-testid="not-available">Not available in this console yet.</p>` });
